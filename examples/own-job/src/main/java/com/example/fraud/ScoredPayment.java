package com.example.fraud;

import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ObjectNode;

/** A payment with its card's window (this payment included) and its score. */
public record ScoredPayment(String paymentId, String card, double amount, long ts, long windowCount, double windowSum, double score, boolean flagged) {

    String toJson() {
        ObjectNode o = Payment.MAPPER.createObjectNode();
        o.put("paymentId", paymentId).put("card", card).put("amount", amount).put("ts", ts);
        o.put("windowCount", windowCount).put("windowSum", windowSum).put("score", score).put("flagged", flagged);
        return o.toString();
    }
}
