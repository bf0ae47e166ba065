"""From registry answers and the application to a decision with every reason."""
