-- The backbone schema as Base.metadata.create_all made it on sqlite at git commit bf1876b
-- (SQLAlchemy 2.1.9: CREATE TABLE and CREATE INDEX per table, in dependency order). Generated; do not edit.
CREATE TABLE chain_anchor (
	id INTEGER NOT NULL,
	at DATETIME NOT NULL,
	cases INTEGER NOT NULL,
	root VARCHAR(64) NOT NULL,
	heads TEXT NOT NULL,
	CONSTRAINT pk_chain_anchor PRIMARY KEY (id),
	CONSTRAINT uq_chain_anchor_root UNIQUE (root)
);

CREATE INDEX ix_chain_anchor_at ON chain_anchor (at);

CREATE TABLE number_sequence (
	name VARCHAR(64) NOT NULL,
	value INTEGER NOT NULL,
	CONSTRAINT pk_number_sequence PRIMARY KEY (name)
);

CREATE TABLE process_spec (
	hash VARCHAR(64) NOT NULL,
	process_id VARCHAR(64) NOT NULL,
	sources TEXT NOT NULL,
	created_at DATETIME NOT NULL,
	CONSTRAINT pk_process_spec PRIMARY KEY (hash)
);

CREATE INDEX ix_process_spec_process_id ON process_spec (process_id);

CREATE TABLE setting (
	id INTEGER NOT NULL,
	"key" VARCHAR(64) NOT NULL,
	area_code VARCHAR(12) NOT NULL,
	effective_from DATE NOT NULL,
	value TEXT NOT NULL,
	source TEXT NOT NULL,
	created_at DATETIME NOT NULL,
	CONSTRAINT pk_setting PRIMARY KEY (id)
);

CREATE UNIQUE INDEX ix_setting_lookup ON setting ("key", area_code, effective_from);

CREATE TABLE township (
	code VARCHAR(12) NOT NULL,
	name VARCHAR(60) NOT NULL,
	kind VARCHAR(10) NOT NULL,
	county_code VARCHAR(6) NOT NULL,
	county_name VARCHAR(60) NOT NULL,
	county_gov VARCHAR(60) NOT NULL,
	valid_from DATE NOT NULL,
	valid_to DATE,
	CONSTRAINT pk_township PRIMARY KEY (code)
);

CREATE INDEX ix_township_county_code ON township (county_code);

CREATE TABLE user_account (
	id INTEGER NOT NULL,
	username VARCHAR(64) NOT NULL,
	display_name VARCHAR(64) NOT NULL,
	role VARCHAR(20) NOT NULL,
	township_code VARCHAR(12),
	password_hash VARCHAR(200) NOT NULL,
	active BOOLEAN NOT NULL,
	failed_logins INTEGER NOT NULL,
	locked_until DATETIME,
	created_at DATETIME NOT NULL,
	CONSTRAINT pk_user_account PRIMARY KEY (id),
	CONSTRAINT uq_user_account_username UNIQUE (username)
);

CREATE INDEX ix_user_account_township_code ON user_account (township_code);

CREATE TABLE api_token (
	id INTEGER NOT NULL,
	token_hash VARCHAR(64) NOT NULL,
	user_id INTEGER NOT NULL,
	expires_at DATETIME NOT NULL,
	created_at DATETIME NOT NULL,
	CONSTRAINT pk_api_token PRIMARY KEY (id),
	CONSTRAINT uq_api_token_token_hash UNIQUE (token_hash),
	CONSTRAINT fk_api_token_user_id_user_account FOREIGN KEY(user_id) REFERENCES user_account (id)
);

CREATE TABLE case_record (
	id INTEGER NOT NULL,
	case_no VARCHAR(32) NOT NULL,
	process_id VARCHAR(64) NOT NULL,
	spec_hash VARCHAR(64) NOT NULL,
	township_code VARCHAR(12) NOT NULL,
	status VARCHAR(24) NOT NULL,
	applicant_name VARCHAR(64) NOT NULL,
	applicant_id_no VARCHAR(18) NOT NULL,
	household_size INTEGER NOT NULL,
	amount_total NUMERIC(12, 2),
	applied_on DATE NOT NULL,
	case_deadline DATE,
	decided_on DATE,
	next_timer_at DATETIME,
	created_by_id INTEGER NOT NULL,
	updated_at DATETIME NOT NULL,
	last_event_seq INTEGER NOT NULL,
	last_event_hash VARCHAR(64) NOT NULL,
	version INTEGER NOT NULL,
	created_at DATETIME NOT NULL,
	CONSTRAINT pk_case_record PRIMARY KEY (id),
	CONSTRAINT uq_case_record_case_no UNIQUE (case_no),
	CONSTRAINT fk_case_record_spec_hash_process_spec FOREIGN KEY(spec_hash) REFERENCES process_spec (hash),
	CONSTRAINT fk_case_record_created_by_id_user_account FOREIGN KEY(created_by_id) REFERENCES user_account (id)
);

CREATE INDEX ix_case_record_applicant_id_no ON case_record (applicant_id_no);

CREATE INDEX ix_case_record_next_timer_at ON case_record (next_timer_at);

CREATE INDEX ix_case_township_status ON case_record (township_code, status);

CREATE TABLE access_log (
	id INTEGER NOT NULL,
	at DATETIME NOT NULL,
	action VARCHAR(32) NOT NULL,
	user_id INTEGER,
	username VARCHAR(64) NOT NULL,
	case_id INTEGER,
	target VARCHAR(64) NOT NULL,
	remote_addr VARCHAR(64) NOT NULL,
	channel VARCHAR(8) NOT NULL,
	CONSTRAINT pk_access_log PRIMARY KEY (id),
	CONSTRAINT fk_access_log_user_id_user_account FOREIGN KEY(user_id) REFERENCES user_account (id),
	CONSTRAINT fk_access_log_case_id_case_record FOREIGN KEY(case_id) REFERENCES case_record (id)
);

CREATE INDEX ix_access_log_case ON access_log (case_id, at);

CREATE TABLE case_event (
	id INTEGER NOT NULL,
	case_id INTEGER NOT NULL,
	seq INTEGER NOT NULL,
	kind VARCHAR(40) NOT NULL,
	task_spec VARCHAR(64),
	task_id VARCHAR(36),
	actor_id INTEGER,
	actor_name VARCHAR(64) NOT NULL,
	at DATETIME NOT NULL,
	data TEXT NOT NULL,
	state_digest VARCHAR(64) NOT NULL,
	prev_hash VARCHAR(64) NOT NULL,
	hash VARCHAR(64) NOT NULL,
	CONSTRAINT pk_case_event PRIMARY KEY (id),
	CONSTRAINT uq_case_event_case_seq UNIQUE (case_id, seq),
	CONSTRAINT fk_case_event_case_id_case_record FOREIGN KEY(case_id) REFERENCES case_record (id),
	CONSTRAINT fk_case_event_actor_id_user_account FOREIGN KEY(actor_id) REFERENCES user_account (id)
);

CREATE INDEX ix_case_event_case_id ON case_event (case_id);

CREATE INDEX ix_case_event_task_id ON case_event (task_id);

CREATE TABLE case_snapshot (
	case_id INTEGER NOT NULL,
	serializer_version VARCHAR(8) NOT NULL,
	state TEXT NOT NULL,
	digest VARCHAR(64) NOT NULL,
	CONSTRAINT pk_case_snapshot PRIMARY KEY (case_id),
	CONSTRAINT fk_case_snapshot_case_id_case_record FOREIGN KEY(case_id) REFERENCES case_record (id)
);

CREATE TABLE document (
	id INTEGER NOT NULL,
	case_id INTEGER NOT NULL,
	kind VARCHAR(40) NOT NULL,
	number VARCHAR(40) NOT NULL,
	verify_code VARCHAR(16) NOT NULL,
	sha256 VARCHAR(64) NOT NULL,
	size INTEGER NOT NULL,
	issued_at DATETIME NOT NULL,
	event_seq INTEGER NOT NULL,
	township_code VARCHAR(12) NOT NULL,
	CONSTRAINT pk_document PRIMARY KEY (id),
	CONSTRAINT fk_document_case_id_case_record FOREIGN KEY(case_id) REFERENCES case_record (id),
	CONSTRAINT uq_document_number UNIQUE (number),
	CONSTRAINT uq_document_verify_code UNIQUE (verify_code)
);

CREATE INDEX ix_document_case_id ON document (case_id);

CREATE TABLE human_task (
	id VARCHAR(36) NOT NULL,
	case_id INTEGER NOT NULL,
	task_spec VARCHAR(64) NOT NULL,
	title VARCHAR(120) NOT NULL,
	role VARCHAR(20) NOT NULL,
	township_code VARCHAR(12) NOT NULL,
	form VARCHAR(128) NOT NULL,
	created_at DATETIME NOT NULL,
	due_on DATE,
	claimed_by_id INTEGER,
	claimed_at DATETIME,
	CONSTRAINT pk_human_task PRIMARY KEY (id),
	CONSTRAINT fk_human_task_case_id_case_record FOREIGN KEY(case_id) REFERENCES case_record (id),
	CONSTRAINT fk_human_task_claimed_by_id_user_account FOREIGN KEY(claimed_by_id) REFERENCES user_account (id)
);

CREATE INDEX ix_human_task_case_id ON human_task (case_id);

CREATE INDEX ix_human_task_queue ON human_task (township_code, role, due_on);

CREATE TABLE person_index (
	id_no VARCHAR(18) NOT NULL,
	case_id INTEGER NOT NULL,
	name VARCHAR(64) NOT NULL,
	CONSTRAINT pk_person_index PRIMARY KEY (id_no, case_id),
	CONSTRAINT fk_person_index_case_id_case_record FOREIGN KEY(case_id) REFERENCES case_record (id)
);

