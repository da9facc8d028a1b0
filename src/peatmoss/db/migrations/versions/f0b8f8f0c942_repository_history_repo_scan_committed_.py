"""repository history: repo_scan.committed_at, reuse_change and reuse_lag views

`reuse_change`: per scan of a repository (ordered by commit date), the models present in its first scan,
added or dropped since the scan before, or whose pinned revision changed. `reuse_lag`: per scan and model
pinned to a revision, the model commit it names and the model commits after it up to the repository's commit.

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

SCANS = """s AS (
  SELECT id, repository_id, commit_sha, COALESCE(committed_at, scanned_at) AS at,
         ROW_NUMBER() OVER (PARTITION BY repository_id ORDER BY COALESCE(committed_at, scanned_at), id) AS seq
  FROM repo_scan),
p AS (
  SELECT s.repository_id, s.seq, mr.scan_id, COALESCE(mr.canonical_model_id, mr.raw_model_id) AS model,
         MAX(mr.model_id) AS model_id, MAX(mr.revision) AS revision
  FROM model_reuse mr JOIN s ON s.id = mr.scan_id
  WHERE mr.is_local_path = FALSE AND COALESCE(mr.canonical_model_id, mr.raw_model_id) IS NOT NULL
  GROUP BY s.repository_id, s.seq, mr.scan_id, COALESCE(mr.canonical_model_id, mr.raw_model_id))"""

REUSE_CHANGE = f"""WITH {SCANS}
SELECT s.repository_id, s.id AS scan_id, s.seq, s.commit_sha, s.at AS committed_at, cur.model, cur.model_id,
       CASE WHEN s.seq = 1 THEN 'present' ELSE 'added' END AS change,
       CAST(NULL AS VARCHAR(255)) AS old_revision, cur.revision AS new_revision
FROM p cur JOIN s ON s.id = cur.scan_id
LEFT JOIN p prev ON prev.repository_id = cur.repository_id AND prev.seq = cur.seq - 1 AND prev.model = cur.model
WHERE prev.model IS NULL
UNION ALL
SELECT s.repository_id, s.id, s.seq, s.commit_sha, s.at, prev.model, prev.model_id, 'dropped', prev.revision, NULL
FROM s JOIN p prev ON prev.repository_id = s.repository_id AND prev.seq = s.seq - 1
LEFT JOIN p cur ON cur.repository_id = s.repository_id AND cur.seq = s.seq AND cur.model = prev.model
WHERE cur.model IS NULL
UNION ALL
SELECT s.repository_id, s.id, s.seq, s.commit_sha, s.at, cur.model, cur.model_id, 'revision', prev.revision,
       cur.revision
FROM p cur JOIN s ON s.id = cur.scan_id
JOIN p prev ON prev.repository_id = cur.repository_id AND prev.seq = cur.seq - 1 AND prev.model = cur.model
WHERE COALESCE(prev.revision, '') <> COALESCE(cur.revision, '')"""

REUSE_LAG = f"""WITH {SCANS},
pin AS (
  SELECT p.repository_id, p.scan_id, p.seq, p.model, p.model_id, p.revision,
         (SELECT MIN(v.commit_id) FROM model_version v
          WHERE v.model_id = p.model_id
            AND (v.commit_id = p.revision
                 OR (LENGTH(p.revision) >= 7 AND v.commit_id LIKE p.revision || '%')
                 OR v.commit_id = (SELECT MIN(g.target_commit) FROM git_ref g
                                   WHERE g.model_id = p.model_id AND g.kind = 'tag' AND g.name = p.revision))
         ) AS pinned_commit
  FROM p WHERE p.revision IS NOT NULL AND p.model_id IS NOT NULL)
SELECT pin.repository_id, pin.scan_id, pin.seq, s.commit_sha, s.at AS committed_at, pin.model, pin.model_id,
       pin.revision, pin.pinned_commit, v.created_at AS pinned_at,
       CASE WHEN v.id IS NULL THEN NULL ELSE
         (SELECT COUNT(*) FROM model_version w
          WHERE w.model_id = pin.model_id AND w.created_at > v.created_at AND w.created_at <= s.at) END
         AS commits_behind,
       (SELECT MAX(w.created_at) FROM model_version w WHERE w.model_id = pin.model_id AND w.created_at <= s.at)
         AS latest_at
FROM pin JOIN s ON s.id = pin.scan_id
LEFT JOIN model_version v ON v.model_id = pin.model_id AND v.commit_id = pin.pinned_commit"""


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
