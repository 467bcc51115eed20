package com.example.fraud;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ScoringTest {

    @Test
    void anOrdinaryPaymentScoresZero() {
        assertEquals(0.0, Scoring.score(0, 0, 40));
        assertEquals(0.0, Scoring.score(2, 80, 40));
    }

    @Test
    void velocityAndSizeRaiseTheScore() {
        assertEquals(0.3, Scoring.score(5, 200, 40), 1e-9);
        assertEquals(1.0, Scoring.score(2, 80, 240), 1e-9);
        assertTrue(Scoring.score(12, 480, 40) >= 0.8);
    }

    @Test
    void parsesAPaymentAndWritesItsScore() throws Exception {
        Payment p = Payment.parse("{\"paymentId\":\"p1\",\"card\":\"c7\",\"amount\":12.5,\"ts\":1000}");
        assertEquals(new Payment("p1", "c7", 12.5, 1000), p);
        String json = new ScoredPayment("p1", "c7", 12.5, 1000, 1, 12.5, 0, false).toJson();
        assertEquals("{\"paymentId\":\"p1\",\"card\":\"c7\",\"amount\":12.5,\"ts\":1000,\"windowCount\":1,\"windowSum\":12.5,\"score\":0.0,\"flagged\":false}", json);
    }
}
