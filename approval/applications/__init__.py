"""The application's life: its status, the transitions allowed between them, and the domain
events each transition publishes to the features that follow it."""
