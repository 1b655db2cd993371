"""Store-and-forward of requests kept while a back-end was down, and their paced replay."""
