"""`hoidap serve`: the HTTP API and the web page over retrieval's Engine."""
