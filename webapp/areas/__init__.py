"""One blueprint per kind of user or area: window (intake), tasks (queues, 督办), cases, notices (公示
batches), public pages, health."""
