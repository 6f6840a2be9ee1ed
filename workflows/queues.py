"""Queue names, most urgent first: workers take from them in this order."""

HIGH = "hotline-high"  # deadlines and escalation
DEFAULT = "hotline"  # follow-up and outbound messages
LOW = "hotline-low"  # retraining, statistics

QUEUE_NAMES = (HIGH, DEFAULT, LOW)
