"""In-memory implementations of the send service's ports (winback.services.send.ports): unit tests
and `winback simulate` run the real services over them, without moto or a network."""
