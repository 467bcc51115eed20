package com.example.fraud;

import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;

/** One card payment as it arrives: {@code {"paymentId": "...", "card": "...", "amount": 12.5, "ts": 1733550000000}}. */
public record Payment(String paymentId, String card, double amount, long ts) {

    static final ObjectMapper MAPPER = new ObjectMapper();

    /** Parses one input record; a record without paymentId or card is refused (the job fails on bad input rather than scoring it wrongly). */
    public static Payment parse(String json) throws Exception {
        JsonNode n = MAPPER.readTree(json);
        JsonNode id = n.get("paymentId");
        JsonNode card = n.get("card");
        if (id == null || card == null) throw new IllegalArgumentException("payment without paymentId or card: " + json);
        return new Payment(id.asText(), card.asText(), n.path("amount").asDouble(0), n.path("ts").asLong(0));
    }
}
