-- A small production-like data set with every value shape the schema can hold:
-- NULL next to empty strings, escapes, unicode, microsecond timestamps, numeric,
-- jsonb, arrays, bytea with every byte value, and soft-deleted rows.
INSERT INTO users (id, created_at, updated_at, deleted_at, email, first_name, last_name, street, postal_code, city, phone, password_hash, role, locale, last_login_at, preferences) VALUES
 (1, '2024-01-02 03:04:05.123456+00', '2024-01-02 03:04:05.123456+00', NULL, 'admin@wippidu.example', 'Ada', 'Admin', 'Hauptstraße 1', '10115', 'Berlin', '+49 30 1234567', '$2a$10$adminhashadminhashadminhashadminhashadminhashadminha', 'admin', 'de', '2026-11-24 08:00:00+00', '{"theme": "dark", "digest": true}'),
 (2, '2024-02-03 04:05:06+00', '2024-02-03 04:05:06+00', NULL, 'Teacher.Tom@Schule.DE', 'Tom', 'Tischler', '', '', '', '', '$2a$10$teacherhashteacherhashteacherhashteacherhashteacherh', 'teacher', 'de', NULL, '{}'),
 (3, '2024-03-04 05:06:07+00', '2024-03-04 05:06:07+00', NULL, 'paula.parent@example.org', 'Paula', 'Päßler-Öztürk', E'Straße\t"mit" Tab', '80331', 'München', NULL, '$2a$10$parenthashparenthashparenthashparenthashparenthashpa', 'parent', 'en', NULL, '{"notes": "line1\nline2", "emoji": "🎒", "nested": {"a": [1, 2.5, null]}}'),
 (4, '2024-04-05 06:07:08+00', '2025-01-01 00:00:00+00', '2025-06-01 12:00:00.5+00', 'gone@example.org', 'Gero', 'Gelöscht', NULL, NULL, NULL, NULL, '$2a$10$deletedhashdeletedhashdeletedhashdeletedhashdeletedh', 'parent', 'de', NULL, '{}'),
 (5, '2024-05-06 07:08:09+00', '2024-05-06 07:08:09+00', NULL, 'back\slash@example.org', E'Line\nBreak', 'O''Brien', 'Weg 5\\6', '01067', 'Dresden', '0351 / 123', '$2a$10$otherhashotherhashotherhashotherhashotherhashotherha', 'parent', 'de', NULL, '[]');
SELECT setval('users_id_seq', 5);

INSERT INTO school_classes (id, name, grade, school_year, teacher_id, room, deleted_at) VALUES
 (1, '3a', 3, '2026/27', 2, 'R 101', NULL),
 (2, '10b', 10, '2026/27', NULL, NULL, NULL),
 (3, '1c', 1, '2025/26', 2, '', '2026-07-31 00:00:00+00');
SELECT setval('school_classes_id_seq', 3);

INSERT INTO students (id, first_name, last_name, birth_date, school_class_id, notes, deleted_at) VALUES
 (1, 'Max', 'Päßler-Öztürk', '2018-05-17', 1, 'Allergie: Nüsse', NULL),
 (2, 'Erika', 'O''Brien', '2011-12-31', 2, NULL, NULL),
 (3, 'Karl', 'Gelöscht', NULL, NULL, '', '2025-06-01 12:00:00+00');
SELECT setval('students_id_seq', 3);

INSERT INTO guardianships (id, parent_id, student_id, relation, deleted_at) VALUES
 (1, 3, 1, 'mother', NULL), (2, 5, 2, 'father', NULL), (3, 4, 3, 'parent', '2025-06-01 12:00:00+00');
SELECT setval('guardianships_id_seq', 3);

INSERT INTO messages (id, sender_id, recipient_id, subject, body, read_at, tags, deleted_at) VALUES
 (1, 2, 3, 'Elternabend', E'Liebe Frau Päßler-Öztürk,\n\nder Elternabend ist am Dienstag.\t\\Gruß', '2026-11-20 10:00:00.000001+00', '{wichtig,"mit Leerzeichen","quote\"d"}', NULL),
 (2, 3, 2, '', '', NULL, '{}', NULL),
 (3, 5, 2, 'Krank', 'Erika ist heute krank. 🤒', NULL, '{NULL,""}', '2026-01-01 00:00:00+00'),
 (4, 1, 5, 'Ctl', E'bell\x07 and \x01 ctl', NULL, '{}', NULL);
SELECT setval('messages_id_seq', 10);

INSERT INTO parental_letters (id, author_id, school_class_id, title, body, published_at, requires_acknowledgement, due_date, fee_amount, metadata, deleted_at) VALUES
 (1, 2, 1, 'Ausflug in den Zoo', 'Wir fahren am 3. Dezember in den Zoo. Kosten: 12,50 €.', '2026-11-01 09:00:00+00', true, '2026-11-28', 12.50, '{"bus": true, "stops": ["Schule", "Zoo"]}', NULL),
 (2, 2, 2, 'Info', '', NULL, false, NULL, NULL, NULL, NULL),
 (3, 1, 1, 'Alt', 'alter Brief', '2025-01-01 00:00:00+00', true, NULL, 0.00, 'null', '2025-02-01 00:00:00+00'),
 (4, 1, 2, 'Große Zahl', 'x', NULL, true, NULL, 99999999.99, '{"n": 1e400}', NULL);
SELECT setval('parental_letters_id_seq', 4);

INSERT INTO letter_acknowledgements (id, parental_letter_id, parent_id, student_id, acknowledged_at, comment) VALUES
 (1, 1, 3, 1, '2026-11-02 18:30:00+00', 'Max darf mit.'), (2, 3, 5, 2, '2025-01-02 00:00:00+00', NULL), (3, 4, 5, 2, '2026-11-02 18:30:00+00', '');
SELECT setval('letter_acknowledgements_id_seq', 3);

INSERT INTO attachments (id, message_id, parental_letter_id, filename, mime_type, size_bytes, data, deleted_at) VALUES
 (1, 1, NULL, 'Einladung.pdf', 'application/pdf', 256, (SELECT string_agg(set_byte('\x00'::bytea, 0, g), ''::bytea ORDER BY g) FROM generate_series(0, 255) g), NULL),
 (2, NULL, 1, 'foto "zoo".jpg', 'image/jpeg', 0, '', NULL),
 (3, 3, NULL, 'attest.png', 'image/png', 3, '\x5c0a09', '2026-01-01 00:00:00+00');
SELECT setval('attachments_id_seq', 3);

INSERT INTO import_export_audits (kind, status, requested_by) VALUES ('export', 'succeeded', 'admin@wippidu.example');
