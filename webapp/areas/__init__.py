"""One blueprint per kind of user: window (intake), tasks (queues), cases, public pages."""
