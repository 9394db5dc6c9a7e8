"""One blueprint per kind of user or area: window (intake), tasks (queues, 督办), cases, notices (公示
batches), benefits (在保家庭, 待复核), rosters (发放花名册), public pages, health."""
