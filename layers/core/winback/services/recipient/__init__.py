"""What a recipient does through our links and the app's inbox: `unsubscribe` (one-click, per
channel), `reasons` (why did you leave: the answer, recorded and routed) and `inbox` (reading it)."""
