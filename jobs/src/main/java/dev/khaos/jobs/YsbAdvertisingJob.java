package dev.khaos.jobs;

import java.time.Duration;
import java.util.Map;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.util.Collector;

/**
 * Yahoo Streaming Benchmark: ad events → views only → (ad, ts) → joined to their campaign →
 * views per campaign in 60 s tumbling windows → Kafka.
 *
 * <p>Input {@code {"user":"u-123","page":"p-45","ad":"ad-0007","type":"view","ts":1732480000123}};
 * output {@code {"campaign":..,"windowEnd":..,"count":..,"maxTs":..,"latencyMs":..}}.
 */
public final class YsbAdvertisingJob {

    public static final String JOB_NAME = "khaos-ysb-advertising";

    static final Duration WINDOW = Duration.ofSeconds(60);

    private YsbAdvertisingJob() {}

    public static void main(String[] args) throws Exception {
        KafkaJob.run(args, JOB_NAME, "campaign", YsbAdvertisingJob::pipeline);
    }

    /** The job without Kafka: raw JSON (timestamps and watermarks assigned) to main and audit JSON. */
    public static Outputs pipeline(DataStream<String> raw) {
        DataStream<AdEvent> events = ParseEvents.parse(raw, AdEvent.class);

        DataStream<CampaignWindow> counts = WindowStats.aggregate(
                        events.filter(e -> "view".equals(e.type))
                                .uid("view-filter")
                                .name("view-filter")
                                .map(e -> new AdView(e.ad, e.ts))
                                .uid("project")
                                .name("project")
                                .flatMap(new CampaignJoin())
                                .uid("campaign-join")
                                .name("campaign-join")
                                .keyBy(AdView::key, Types.STRING)
                                .window(TumblingEventTimeWindows.of(WINDOW)),
                        e -> 0,
                        CampaignWindow.class,
                        (campaign, windowEnd, s) -> new CampaignWindow(campaign, windowEnd, s.count, s.maxTs))
                .uid("campaign-window")
                .name("campaign-window");

        return new Outputs(LatencyStage.apply(counts), Audit.branch(events));
    }

    /**
     * Fills in the campaign from the static table, loaded once per task. Ads outside the table
     * are dropped (as YSB's join does) and counted in {@code unknownAds}.
     */
    static final class CampaignJoin extends RichFlatMapFunction<AdView, AdView> {
        private transient Map<String, String> campaigns;
        private transient Counter unknown;

        @Override
        public void open(OpenContext context) {
            campaigns = YsbCampaigns.table();
            unknown = getRuntimeContext().getMetricGroup().counter("unknownAds");
        }

        @Override
        public void flatMap(AdView view, Collector<AdView> out) {
            view.campaign = campaigns.get(view.ad);
            if (view.campaign == null) {
                unknown.inc();
            } else {
                out.collect(view);
            }
        }
    }

    /** One input record. */
    public static class AdEvent implements Event {
        public String user;
        public String page;
        public String ad;
        public String type;
        public long ts;

        @Override
        public String key() {
            return ad;
        }

        @Override
        public long ts() {
            return ts;
        }
    }

    /** A view projected to (ad, ts); the join fills in its campaign, the window's key. */
    public static class AdView implements Event {
        public String ad;
        public String campaign;
        public long ts;

        public AdView() {}

        AdView(String ad, long ts) {
            this.ad = ad;
            this.ts = ts;
        }

        @Override
        public String key() {
            return campaign;
        }

        @Override
        public long ts() {
            return ts;
        }
    }

    /** The output record for one campaign's window; the latency stage sets latencyMs. */
    public static class CampaignWindow extends Timed {
        public String campaign;

        public CampaignWindow() {}

        CampaignWindow(String campaign, long windowEnd, long count, long maxTs) {
            super(windowEnd, count, maxTs);
            this.campaign = campaign;
        }
    }
}
