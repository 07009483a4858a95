-- The wippidu app tables (GORM conventions: bigserial ids, created_at/updated_at,
-- deleted_at for soft deletes). Every foreign key is a real constraint.

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz,
    email         text        NOT NULL,
    first_name    text        NOT NULL DEFAULT '',
    last_name     text        NOT NULL DEFAULT '',
    street        text,
    postal_code   text,
    city          text,
    phone         text,
    password_hash text        NOT NULL,
    role          text        NOT NULL CHECK (role IN ('admin', 'teacher', 'parent')),
    locale        text        NOT NULL DEFAULT 'de',
    last_login_at timestamptz,
    preferences   jsonb       NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email)) WHERE deleted_at IS NULL;
CREATE INDEX users_deleted_at_idx ON users (deleted_at);

CREATE TABLE school_classes (
    id          bigserial PRIMARY KEY,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz,
    name        text        NOT NULL,
    grade       smallint    NOT NULL CHECK (grade BETWEEN 1 AND 13),
    school_year text        NOT NULL,
    teacher_id  bigint      REFERENCES users (id),
    room        text
);
CREATE INDEX school_classes_teacher_id_idx ON school_classes (teacher_id);

CREATE TABLE students (
    id              bigserial PRIMARY KEY,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz,
    first_name      text        NOT NULL,
    last_name       text        NOT NULL,
    birth_date      date,
    school_class_id bigint      REFERENCES school_classes (id),
    notes           text
);
CREATE INDEX students_school_class_id_idx ON students (school_class_id);

CREATE TABLE guardianships (
    id         bigserial PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    parent_id  bigint      NOT NULL REFERENCES users (id),
    student_id bigint      NOT NULL REFERENCES students (id),
    relation   text        NOT NULL DEFAULT 'parent'
);
CREATE INDEX guardianships_parent_id_idx ON guardianships (parent_id);
CREATE INDEX guardianships_student_id_idx ON guardianships (student_id);

CREATE TABLE messages (
    id           bigserial PRIMARY KEY,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    deleted_at   timestamptz,
    sender_id    bigint      NOT NULL REFERENCES users (id),
    recipient_id bigint      NOT NULL REFERENCES users (id),
    subject      text        NOT NULL,
    body         text        NOT NULL,
    read_at      timestamptz,
    tags         text[]      NOT NULL DEFAULT '{}'
);
CREATE INDEX messages_recipient_id_idx ON messages (recipient_id);
CREATE INDEX messages_sender_id_idx ON messages (sender_id);

CREATE TABLE parental_letters (
    id                       bigserial PRIMARY KEY,
    created_at               timestamptz   NOT NULL DEFAULT now(),
    updated_at               timestamptz   NOT NULL DEFAULT now(),
    deleted_at               timestamptz,
    author_id                bigint        NOT NULL REFERENCES users (id),
    school_class_id          bigint        NOT NULL REFERENCES school_classes (id),
    title                    text          NOT NULL,
    body                     text          NOT NULL,
    published_at             timestamptz,
    requires_acknowledgement boolean       NOT NULL DEFAULT true,
    due_date                 date,
    fee_amount               numeric(10,2),
    metadata                 jsonb
);
CREATE INDEX parental_letters_school_class_id_idx ON parental_letters (school_class_id);

CREATE TABLE letter_acknowledgements (
    id                 bigserial PRIMARY KEY,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    parental_letter_id bigint      NOT NULL REFERENCES parental_letters (id),
    parent_id          bigint      NOT NULL REFERENCES users (id),
    student_id         bigint      NOT NULL REFERENCES students (id),
    acknowledged_at    timestamptz NOT NULL DEFAULT now(),
    comment            text,
    UNIQUE (parental_letter_id, student_id)
);

CREATE TABLE attachments (
    id                 bigserial PRIMARY KEY,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    deleted_at         timestamptz,
    message_id         bigint      REFERENCES messages (id),
    parental_letter_id bigint      REFERENCES parental_letters (id),
    filename           text        NOT NULL,
    mime_type          text        NOT NULL,
    size_bytes         bigint      NOT NULL,
    data               bytea       NOT NULL DEFAULT ''::bytea,
    CHECK (num_nonnulls(message_id, parental_letter_id) = 1)
);
CREATE INDEX attachments_message_id_idx ON attachments (message_id);
CREATE INDEX attachments_parental_letter_id_idx ON attachments (parental_letter_id);

-- Local history of this instance: never exported, never imported, never truncated by
-- an import. No foreign keys into app tables, so it survives every refresh.
CREATE TABLE import_export_audits (
    id              bigserial PRIMARY KEY,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    kind            text        NOT NULL CHECK (kind IN ('export', 'import')),
    status          text        NOT NULL DEFAULT 'queued'
                                CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    requested_by    text        NOT NULL,
    river_job_id    bigint,
    file_name       text,
    object_key      text,
    size_bytes      bigint,
    options         jsonb       NOT NULL DEFAULT '{}',
    result          jsonb,
    error_message   text,
    attempts        integer     NOT NULL DEFAULT 0,
    started_at      timestamptz,
    finished_at     timestamptz
);
CREATE INDEX import_export_audits_created_at_idx ON import_export_audits (created_at DESC);
CREATE INDEX import_export_audits_river_job_id_idx ON import_export_audits (river_job_id);
