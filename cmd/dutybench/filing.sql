-- What one POST /api/v1/incidents sends to PostgreSQL (go run ./bench -trace-filing prints it, from a pgx query tracer), for pgbench:
-- read the school, file the incident and its initial report with its deadlines and an audit entry
-- in one transaction; the answer is built from what it wrote. The token's session and user come
-- from the server's read cache (models/readcache.go): the clients keep their token, so after its
-- first request the server reads them no more. pgbench -D user_id=… supplies the user; the school
-- varies.
\set school random(1, 1000)
BEGIN;
SELECT id, district_id, name, type, address, unified_code, created_at, updated_at FROM schools WHERE id = :school;
INSERT INTO incidents (school_id, district_id, title, category, subtype, sensitive, severity, occurred_at, place, status, serial, last_report_at, resolved_at, closed_at, late_reports, missed_reports, created_by, created_at, updated_at)
  VALUES (:school, 1 + :school % 10, '学生在体育课上摔伤', 'accident', 'other_accident', false, 4, now() - interval '10 minutes', '操场', 'open', NULL, now(), NULL, NULL, 0, 0, :user_id, now(), now()) RETURNING id AS incident \gset
INSERT INTO incident_reports (incident_id, school_id, district_id, kind, number, channel, status, severity, summary, dead, injured, missing, property_loss, cause, measures, leaders_on_site, next_steps, reporter_name, reporter_phone, resolved, late, late_reason, received_at, caller_unit, caller_name, caller_title, caller_phone, also_notified, created_by, submitted_at, signed_at, signed_by, created_at, updated_at)
  VALUES (:incident, :school, 1 + :school % 10, 'initial', 0, 'written', 'submitted', 4, '一名学生体育课跑步时摔倒，右臂擦伤，已送校医室处理。', 0, 1, 0, 0, '', '校医处理伤口，通知家长。', '', '', '张老师', '13800000000', false, false, '', NULL, '', '', '', '', '', :user_id, now(), NULL, NULL, now(), now()) RETURNING id AS report \gset
INSERT INTO deadlines (kind, subject_type, subject_id, school_id, district_id, label, due_at, done_at, late, missed, created_at)
  VALUES ('initial_report', 'incident', :incident, :school, 1 + :school % 10, '学生在体育课上摔伤：电话首报', now() + interval '50 minutes', now(), false, false, now()),
         ('written_report', 'incident', :incident, :school, 1 + :school % 10, '学生在体育课上摔伤：书面首报', now() + interval '110 minutes', now(), false, false, now()),
         ('follow_up', 'incident', :incident, :school, 1 + :school % 10, '学生在体育课上摔伤：续报', now() + interval '1 day', NULL, false, false, now()),
         ('signature', 'report', :report, :school, 1 + :school % 10, '学生在体育课上摔伤：签收首报', now() + interval '15 minutes', NULL, false, false, now()) RETURNING id;
INSERT INTO audit_entries (at, actor_id, actor_name, action, subject_type, subject_id, summary, request_id)
  VALUES (now(), :user_id, 'admin', 'incident.create', 'incident', :incident, '学生在体育课上摔伤 事故灾难 Ⅳ级（一般）（第' || :school || '学校）', 'pgbench') RETURNING id;
COMMIT;
