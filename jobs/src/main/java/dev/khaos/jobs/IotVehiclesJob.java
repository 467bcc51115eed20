package dev.khaos.jobs;

import java.time.Duration;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.windowing.assigners.SlidingEventTimeWindows;

/**
 * IoT vehicles: vehicle positions → those inside the area of interest → per vehicle, average
 * speed over a 5 s window sliding by 1 s → windows above the speed limit → Kafka.
 *
 * <p>Input {@code {"id":"v-000042","lat":40.7512,"lon":-73.9876,"speed":87.25,"ts":1732480000123}};
 * output {@code {"id":..,"windowEnd":..,"avgSpeed":..,"count":..,"maxTs":..,"latencyMs":..}}.
 */
public final class IotVehiclesJob {

    public static final String JOB_NAME = "khaos-iot-vehicles";

    /** Area of interest: roughly Manhattan. */
    static final double MIN_LAT = 40.70;
    static final double MAX_LAT = 40.80;
    static final double MIN_LON = -74.02;
    static final double MAX_LON = -73.93;

    static final double SPEED_LIMIT = 80.0;
    static final Duration WINDOW_SIZE = Duration.ofSeconds(5);
    static final Duration WINDOW_SLIDE = Duration.ofSeconds(1);

    private IotVehiclesJob() {}

    public static void main(String[] args) throws Exception {
        KafkaJob.run(args, JOB_NAME, "id", IotVehiclesJob::pipeline);
    }

    /** The job without Kafka: raw JSON (timestamps and watermarks assigned) to main and audit JSON. */
    public static Outputs pipeline(DataStream<String> raw) {
        DataStream<VehicleEvent> events = ParseEvents.parse(raw, VehicleEvent.class);

        DataStream<SpeedWindow> speeders = WindowStats.aggregate(
                        events.filter(IotVehiclesJob::inArea)
                                .uid("area-filter")
                                .name("area-filter")
                                .keyBy(VehicleEvent::key, Types.STRING)
                                .window(SlidingEventTimeWindows.of(WINDOW_SIZE, WINDOW_SLIDE)),
                        e -> e.speed,
                        SpeedWindow.class,
                        (id, windowEnd, s) -> new SpeedWindow(id, windowEnd, s.mean(), s.count, s.maxTs))
                .uid("speed-window")
                .name("speed-window")
                .filter(w -> w.avgSpeed > SPEED_LIMIT)
                .uid("speeders")
                .name("speeders");

        return new Outputs(LatencyStage.apply(speeders), Audit.branch(events));
    }

    static boolean inArea(VehicleEvent e) {
        return e.lat >= MIN_LAT && e.lat <= MAX_LAT && e.lon >= MIN_LON && e.lon <= MAX_LON;
    }

    /** One input record. */
    public static class VehicleEvent implements Event {
        public String id;
        public double lat;
        public double lon;
        public double speed;
        public long ts;

        @Override
        public String key() {
            return id;
        }

        @Override
        public long ts() {
            return ts;
        }
    }

    /** The output record for one speeding vehicle's window; the latency stage sets latencyMs. */
    public static class SpeedWindow extends Timed {
        public String id;
        public double avgSpeed;

        public SpeedWindow() {}

        SpeedWindow(String id, long windowEnd, double avgSpeed, long count, long maxTs) {
            super(windowEnd, count, maxTs);
            this.id = id;
            this.avgSpeed = avgSpeed;
        }
    }
}
