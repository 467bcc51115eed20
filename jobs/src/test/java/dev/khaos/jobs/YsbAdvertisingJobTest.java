package dev.khaos.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class YsbAdvertisingJobTest {

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = Harness.miniCluster();

    /** A multiple of 60 s, so the first tumbling window is [T0, T0 + 60 s). */
    static final long T0 = 1_732_479_960_000L;

    record Ad(int index, String type, long offsetMs) {
        String json() {
            return String.format("{\"user\":\"u-%d\",\"page\":\"p-%d\",\"ad\":\"%s\",\"type\":\"%s\",\"ts\":%d}",
                    index % 7, index % 5, YsbCampaigns.adId(index), type, T0 + offsetMs);
        }
    }

    @Test
    void campaignTable() {
        assertEquals("c-000", YsbCampaigns.campaignOf(0));
        assertEquals("c-037", YsbCampaigns.campaignOf(1));
        assertEquals("c-000", YsbCampaigns.campaignOf(100));
        assertEquals("c-063", YsbCampaigns.campaignOf(999));
        Map<String, String> table = YsbCampaigns.table();
        assertEquals(1000, table.size());
        assertEquals("c-011", table.get("ad-0003"));
        // 37 and 100 are coprime: every campaign gets 10 ads.
        Map<String, Integer> adsPerCampaign = new HashMap<>();
        table.values().forEach(c -> adsPerCampaign.merge(c, 1, Integer::sum));
        assertEquals(100, adsPerCampaign.size());
        assertTrue(adsPerCampaign.values().stream().allMatch(n -> n == 10));
    }

    @Test
    void viewsPerCampaignPerMinuteAndAnExactAudit() throws Exception {
        List<Ad> ads = List.of(
                new Ad(0, "view", 1_000),      // c-000
                new Ad(100, "view", 2_000),    // c-000 too
                new Ad(0, "click", 3_000),
                new Ad(1, "view", 4_000),      // c-037
                new Ad(1, "purchase", 5_000),
                new Ad(3, "view", 59_000),     // c-011, last second of the first window
                new Ad(100, "view", 61_000),
                new Ad(1, "view", 62_000),
                new Ad(1, "click", 62_500),    // same audit second as the view before it
                new Ad(1, "view", 70_000));
        List<String> lines = new ArrayList<>();
        ads.forEach(a -> lines.add(a.json()));
        lines.add(3, "{\"ad\":\"ad-0000\",\"type\":\"view\",\"ts\":");  // truncated: malformed
        // Not in the campaign table: audited, never joined.
        lines.add(String.format("{\"user\":\"u-1\",\"page\":\"p-1\",\"ad\":\"ad-5000\",\"type\":\"view\",\"ts\":%d}",
                T0 + 71_000));
        lines.add(String.format("{\"ad\":\"__flush__\",\"type\":\"view\",\"ts\":%d}", T0 + 300_000));

        Harness.Collected out = Harness.run(YsbAdvertisingJob::pipeline, lines);

        // Hand computation: views only, campaign from the table, window end = next minute.
        Map<String, long[]> expected = new TreeMap<>();
        for (Ad a : ads) {
            if (a.type().equals("view")) {
                long ts = T0 + a.offsetMs();
                long windowEnd = ts - ts % 60_000 + 60_000;
                long[] e = expected.computeIfAbsent(
                        YsbCampaigns.campaignOf(a.index()) + "@" + windowEnd, k -> new long[] {0, 0});
                e[0]++;
                e[1] = Math.max(e[1], ts);
            }
        }
        assertEquals(2, expected.get("c-000@" + (T0 + 60_000))[0]);

        Map<String, long[]> actual = new TreeMap<>();
        for (JsonNode w : out.main()) {
            assertTrue(w.get("latencyMs").asLong() >= 0, "latency " + w);
            long[] previous = actual.put(w.get("campaign").asText() + "@" + w.get("windowEnd").asLong(),
                    new long[] {w.get("count").asLong(), w.get("maxTs").asLong()});
            assertEquals(null, previous, "duplicate window " + w);
        }
        assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((k, e) -> {
            assertEquals(e[0], actual.get(k)[0], "count " + k);
            assertEquals(e[1], actual.get(k)[1], "maxTs " + k);
        });

        AuditAssertions.assertAudit(out.audit(), Map.of(
                "ad-0000", 2L, "ad-0100", 2L, "ad-0001", 5L, "ad-0003", 1L, "ad-5000", 1L));
    }
}
