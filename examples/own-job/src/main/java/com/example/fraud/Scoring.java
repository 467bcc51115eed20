package com.example.fraud;

/**
 * The score of a payment from its card's recent activity: many payments in the window (velocity)
 * and an amount far above the card's recent average both raise it. 0 = ordinary, 1 = certainly odd.
 */
public final class Scoring {

    private Scoring() {}

    /**
     * @param countBefore payments of the card in the window before this one
     * @param sumBefore   their total amount
     * @param amount      this payment's amount
     */
    public static double score(long countBefore, double sumBefore, double amount) {
        // Up to 3 payments in the window are ordinary; each one more adds 0.1.
        double velocity = Math.max(0, countBefore - 2) * 0.1;
        // An amount at the recent average adds nothing; at 6x the average it adds 1.
        double average = countBefore == 0 ? 0 : sumBefore / countBefore;
        double size = average <= 0 ? 0 : Math.max(0, amount / average - 1) * 0.2;
        return Math.min(1.0, velocity + size);
    }
}
