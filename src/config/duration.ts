// Durations are parsed in core (policy names such as static:30s are parsed by the policy registry,
// which core owns); the config keeps importing them from here.
export { DURATION_HINT, durationProblem, parseDuration } from '../core/duration.js';
