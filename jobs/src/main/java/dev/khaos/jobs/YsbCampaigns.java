package dev.khaos.jobs;

import java.util.HashMap;
import java.util.Map;

/**
 * The YSB ad → campaign table, fixed so the job needs no external store: ads {@code ad-0000} ..
 * {@code ad-0999} ({@code "ad-%04d"}, the ids the TypeScript generator emits), campaigns
 * {@code c-000} .. {@code c-099}; ad i belongs to campaign {@code (i * 37) % 100}, which spreads
 * consecutive ads over campaigns (37 and 100 are coprime, so each campaign gets exactly 10 ads).
 */
public final class YsbCampaigns {

    public static final int ADS = 1000;
    public static final int CAMPAIGNS = 100;

    private YsbCampaigns() {}

    public static String adId(int i) {
        return String.format("ad-%04d", i);
    }

    public static String campaignOf(int adIndex) {
        return String.format("c-%03d", (adIndex * 37) % CAMPAIGNS);
    }

    /** The whole table, ad id → campaign id. */
    public static Map<String, String> table() {
        Map<String, String> table = new HashMap<>(2 * ADS);
        for (int i = 0; i < ADS; i++) {
            table.put(adId(i), campaignOf(i));
        }
        return table;
    }
}
