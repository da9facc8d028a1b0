"""repository history: repo_scan.committed_at, reuse_change and reuse_lag views

`reuse_change`: per scan of a repository scanned at more than one commit (ordered by commit date), the models
present in its first scan, added or dropped since the scan before, or whose pinned revision changed.
`reuse_lag`: per scan and model pinned to a revision, the model commit it names and the model commits after it
up to the repository's commit.

Revision ID: f0b8f8f0c942
Revises: 2d4732dfc07c
Create Date: 2026-12-03 12:56:07.360486
"""
from alembic import op
import sqlalchemy as sa


revision = 'f0b8f8f0c942'
down_revision = '2d4732dfc07c'
branch_labels = None
depends_on = None

# Repositories scanned at more than one commit only. Window functions, no self-joins: each scan carries the
# next scan of its repository, and each (scan, model) row the previous and next scan that loaded the same model.
SCANS = """s AS (
  SELECT x.*, LEAD(x.id) OVER (PARTITION BY x.repository_id ORDER BY x.seq) AS next_id,
         LEAD(x.commit_sha) OVER (PARTITION BY x.repository_id ORDER BY x.seq) AS next_sha,
         LEAD(x.at) OVER (PARTITION BY x.repository_id ORDER BY x.seq) AS next_at
  FROM (SELECT id, repository_id, commit_sha, COALESCE(committed_at, scanned_at) AS at,
               ROW_NUMBER() OVER (PARTITION BY repository_id ORDER BY COALESCE(committed_at, scanned_at), id) AS seq
        FROM repo_scan
        WHERE repository_id IN (SELECT repository_id FROM repo_scan GROUP BY repository_id HAVING COUNT(*) > 1)) x),
p AS (
  SELECT s.repository_id, s.seq, s.id AS scan_id, s.commit_sha, s.at, s.next_id, s.next_sha, s.next_at,
         COALESCE(mr.canonical_model_id, mr.raw_model_id) AS model, MAX(mr.model_id) AS model_id,
         MAX(mr.revision) AS revision
  FROM s JOIN model_reuse mr ON mr.scan_id = s.id
  WHERE mr.is_local_path = FALSE AND COALESCE(mr.canonical_model_id, mr.raw_model_id) IS NOT NULL
  GROUP BY s.repository_id, s.seq, s.id, s.commit_sha, s.at, s.next_id, s.next_sha, s.next_at,
           COALESCE(mr.canonical_model_id, mr.raw_model_id))"""

REUSE_CHANGE = f"""WITH {SCANS},
q AS (
  SELECT p.*, LAG(p.seq) OVER (PARTITION BY p.repository_id, p.model ORDER BY p.seq) AS prev_seq,
         LAG(p.revision) OVER (PARTITION BY p.repository_id, p.model ORDER BY p.seq) AS prev_revision,
         LEAD(p.seq) OVER (PARTITION BY p.repository_id, p.model ORDER BY p.seq) AS next_seq
  FROM p)
SELECT repository_id, scan_id, seq, commit_sha, at AS committed_at, model, model_id,
       CASE WHEN seq = 1 THEN 'present' ELSE 'added' END AS change,
       CAST(NULL AS VARCHAR(255)) AS old_revision, revision AS new_revision
FROM q WHERE prev_seq IS NULL OR prev_seq < seq - 1
UNION ALL
SELECT repository_id, scan_id, seq, commit_sha, at, model, model_id, 'revision', prev_revision, revision
FROM q WHERE prev_seq = seq - 1 AND COALESCE(prev_revision, '') <> COALESCE(revision, '')
UNION ALL
SELECT repository_id, next_id, seq + 1, next_sha, next_at, model, model_id, 'dropped', revision, NULL
FROM q WHERE next_id IS NOT NULL AND (next_seq IS NULL OR next_seq > seq + 1)"""

REUSE_LAG = f"""WITH {SCANS},
pin AS (
  SELECT p.*,
         (SELECT MIN(v.commit_id) FROM model_version v
          WHERE v.model_id = p.model_id
            AND (v.commit_id = p.revision
                 OR (LENGTH(p.revision) >= 7 AND v.commit_id LIKE p.revision || '%')
                 OR v.commit_id = (SELECT MIN(g.target_commit) FROM git_ref g
                                   WHERE g.model_id = p.model_id AND g.kind = 'tag' AND g.name = p.revision))
         ) AS pinned_commit
  FROM p WHERE p.revision IS NOT NULL AND p.model_id IS NOT NULL)
SELECT pin.repository_id, pin.scan_id, pin.seq, pin.commit_sha, pin.at AS committed_at, pin.model, pin.model_id,
       pin.revision, pin.pinned_commit, v.created_at AS pinned_at,
       CASE WHEN v.id IS NULL THEN NULL ELSE
         (SELECT COUNT(*) FROM model_version w
          WHERE w.model_id = pin.model_id AND w.created_at > v.created_at AND w.created_at <= pin.at) END
         AS commits_behind,
       (SELECT MAX(w.created_at) FROM model_version w WHERE w.model_id = pin.model_id AND w.created_at <= pin.at)
         AS latest_at
FROM pin LEFT JOIN model_version v ON v.model_id = pin.model_id AND v.commit_id = pin.pinned_commit"""


def upgrade() -> None:
    with op.batch_alter_table('repo_scan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('committed_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(f"CREATE VIEW reuse_change AS {REUSE_CHANGE}")
    op.execute(f"CREATE VIEW reuse_lag AS {REUSE_LAG}")


def downgrade() -> None:
    op.execute("DROP VIEW reuse_lag")
    op.execute("DROP VIEW reuse_change")
    with op.batch_alter_table('repo_scan', schema=None) as batch_op:
        batch_op.drop_column('committed_at')
