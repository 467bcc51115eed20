package com.example.fraud;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Per card: the count and sum of its payments in the last {@code window}, in one-minute buckets
 * (bucket start → (count, sum)), so a payment reads at most window/1 min + 1 entries. Buckets
 * older than the window are removed as payments arrive; a card that goes quiet loses its state
 * through state TTL (window + 1 min after its last write).
 */
public class CardWindowScorer extends KeyedProcessFunction<String, Payment, ScoredPayment> {

    static final long BUCKET_MS = 60_000;

    private final long windowMs;
    private final double threshold;
    private transient MapState<Long, Tuple2<Long, Double>> buckets;

    public CardWindowScorer(Duration window, double threshold) {
        this.windowMs = window.toMillis();
        this.threshold = threshold;
    }

    @Override
    public void open(OpenContext context) {
        MapStateDescriptor<Long, Tuple2<Long, Double>> d = new MapStateDescriptor<>("buckets", Types.LONG, Types.TUPLE(Types.LONG, Types.DOUBLE));
        d.enableTimeToLive(StateTtlConfig.newBuilder(Duration.ofMillis(windowMs + BUCKET_MS)).build());
        buckets = getRuntimeContext().getMapState(d);
    }

    @Override
    public void processElement(Payment p, Context ctx, Collector<ScoredPayment> out) throws Exception {
        long oldest = p.ts() - windowMs;
        long count = 0;
        double sum = 0;
        List<Long> expired = new ArrayList<>();
        for (Map.Entry<Long, Tuple2<Long, Double>> b : buckets.entries()) {
            if (b.getKey() + BUCKET_MS <= oldest) {
                expired.add(b.getKey());
            } else {
                count += b.getValue().f0;
                sum += b.getValue().f1;
            }
        }
        for (Long k : expired) buckets.remove(k);
        double score = Scoring.score(count, sum, p.amount());
        long bucket = p.ts() - Math.floorMod(p.ts(), BUCKET_MS);
        Tuple2<Long, Double> current = buckets.get(bucket);
        buckets.put(bucket, current == null ? Tuple2.of(1L, p.amount()) : Tuple2.of(current.f0 + 1, current.f1 + p.amount()));
        out.collect(new ScoredPayment(p.paymentId(), p.card(), p.amount(), p.ts(), count + 1, sum + p.amount(), score, score >= threshold));
    }
}
