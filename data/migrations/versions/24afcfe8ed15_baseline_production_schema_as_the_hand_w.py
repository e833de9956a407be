"""baseline: Production schema as the hand-written DB_*.py models define it

Revision ID: 24afcfe8ed15
Revises: None
Create Date: 2026-11-26T08:54:24+00:00

Written by dbkit from schema snapshots. Edit it if you must: dbkit warns about a changed hash.
"""

import sqlalchemy as sa
from alembic import op

import dbkit.migrate.renderers as dbkit_ops  # registers op.add_enum_value and friends

# revision identifiers, used by Alembic.
revision = '24afcfe8ed15'
down_revision = None
branch_labels = None
depends_on = None

dbkit_content_hash = "sha256:7ed27daf1c2bc789192ec7107c2f5c783d4b29655677a9de512492c70e4dcc1c"


def upgrade() -> None:
    with dbkit_ops.sqlite_foreign_keys_suspended(op):
        # baseline: table roles
        op.create_table('roles',
        sa.Column('id', sa.Uuid(), autoincrement=False, nullable=False),
        sa.Column('name', sa.String(length=50), nullable=False, comment='Role name, e.g. owner'),
        sa.Column('description', sa.Text(), nullable=True, comment='What members with this role may do'),
        sa.Column('is_system', sa.Boolean(), server_default=sa.text('false'), nullable=False, comment='Built-in roles cannot be edited'),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.Column('created_by_user_id', sa.Uuid(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=True),
        sa.Column('updated_by_user_id', sa.Uuid(), nullable=True),
        sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('deleted_by_user_id', sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_roles')),
        sa.UniqueConstraint('name', name=op.f('uq_roles_name')),
        comment='Named permission sets granted through team membership',
        info={'dbkit_reason': 'baseline: table roles'}
        )
        # baseline: table tags
        op.create_table('tags',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('name', sa.String(length=50), nullable=False),
        sa.Column('color', sa.String(length=7), server_default=sa.text("'#888888'"), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tags')),
        sa.UniqueConstraint('name', name=op.f('uq_tags_name')),
        info={'dbkit_reason': 'baseline: table tags'}
        )
        # baseline: table users
        op.create_table('users',
        sa.Column('id', sa.Uuid(), autoincrement=False, nullable=False),
        sa.Column('email', sa.String(length=255), nullable=False, comment='Login e-mail address'),
        sa.Column('fullname', sa.String(length=120), nullable=True, comment='Name shown to other users'),
        sa.Column('status', sa.Enum('active', 'suspended', 'deactivated', name='user_status'), server_default=sa.text("'active'"), nullable=False, comment='Account state'),
        sa.Column('locale', sa.String(length=10), server_default=sa.text("'en'"), nullable=False, comment='Preferred language'),
        sa.Column('avatar_url', sa.String(length=500), nullable=True, comment='Profile picture URL'),
        sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True, comment='Last sign-in'),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.Column('created_by_user_id', sa.Uuid(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=True),
        sa.Column('updated_by_user_id', sa.Uuid(), nullable=True),
        sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('deleted_by_user_id', sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
        sa.UniqueConstraint('email', name=op.f('uq_users_email')),
        comment='People who can sign in',
        info={'dbkit_reason': 'baseline: table users'}
        )
        with op.batch_alter_table('users', schema=None) as batch_op:
            # baseline: index ix_users_last_login_at
            batch_op.create_index(batch_op.f('ix_users_last_login_at'), ['last_login_at'], unique=False)
            # baseline: index ix_users_status_created_at
            batch_op.create_index(batch_op.f('ix_users_status_created_at'), ['status', 'created_at'], unique=False)

        # baseline: table credentials
        op.create_table('credentials',
        sa.Column('id', sa.Uuid(), autoincrement=False, nullable=False),
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False, comment='password, api_key or totp'),
        sa.Column('secret_hash', sa.String(length=255), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.Column('created_by_user_id', sa.Uuid(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=True),
        sa.Column('updated_by_user_id', sa.Uuid(), nullable=True),
        sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('deleted_by_user_id', sa.Uuid(), nullable=True),
        sa.CheckConstraint("kind in ('password', 'api_key', 'totp')", name=op.f('ck_credentials_kind_allowed')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_credentials_user_id'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_credentials')),
        sa.UniqueConstraint('user_id', 'kind', name=op.f('uq_credentials_user_id_kind')),
        comment='Secrets a user signs in with (hashed)',
        info={'dbkit_reason': 'baseline: table credentials'}
        )
        with op.batch_alter_table('credentials', schema=None) as batch_op:
            # baseline: index ix_credentials_user_id
            batch_op.create_index(batch_op.f('ix_credentials_user_id'), ['user_id'], unique=False)

        # baseline: table teams
        op.create_table('teams',
        sa.Column('id', sa.Uuid(), autoincrement=False, nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False, comment='Display name'),
        sa.Column('slug', sa.String(length=100), nullable=False, comment='URL-safe name'),
        sa.Column('description', sa.Text(), nullable=True, comment='What the team works on'),
        sa.Column('owner_id', sa.Uuid(), nullable=True, comment='The user who owns the team'),
        sa.Column('max_members', sa.Integer(), server_default=sa.text('25'), nullable=False, comment='Seat limit of the plan'),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.Column('created_by_user_id', sa.Uuid(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=True),
        sa.Column('updated_by_user_id', sa.Uuid(), nullable=True),
        sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('deleted_by_user_id', sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_teams_owner_id'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_teams')),
        sa.UniqueConstraint('slug', name=op.f('uq_teams_slug')),
        comment='Groups of users sharing documents',
        info={'dbkit_reason': 'baseline: table teams'}
        )
        # baseline: table folders
        op.create_table('folders',
        sa.Column('id', sa.Uuid(), autoincrement=False, nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('parent_id', sa.Uuid(), nullable=True),
        sa.Column('team_id', sa.Uuid(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.Column('created_by_user_id', sa.Uuid(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=True),
        sa.Column('updated_by_user_id', sa.Uuid(), nullable=True),
        sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('deleted_by_user_id', sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(['parent_id'], ['folders.id'], name=op.f('fk_folders_parent_id'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_folders_team_id')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_folders')),
        sa.UniqueConstraint('parent_id', 'name', name=op.f('uq_folders_parent_id_name')),
        comment='A folder tree per team',
        info={'dbkit_reason': 'baseline: table folders'}
        )
        with op.batch_alter_table('folders', schema=None) as batch_op:
            # baseline: index ix_folders_parent_id
            batch_op.create_index(batch_op.f('ix_folders_parent_id'), ['parent_id'], unique=False)
            # baseline: index ix_folders_team_id
            batch_op.create_index(batch_op.f('ix_folders_team_id'), ['team_id'], unique=False)

        # baseline: table invitations
        op.create_table('invitations',
        sa.Column('id', sa.Uuid(), autoincrement=False, nullable=False),
        sa.Column('team_id', sa.Uuid(), nullable=False),
        sa.Column('role_id', sa.Uuid(), nullable=False),
        sa.Column('email', sa.String(length=255), nullable=False),
        sa.Column('invited_by_user_id', sa.Uuid(), nullable=True),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('status', sa.Enum('pending', 'accepted', 'declined', 'expired', name='invitation_status'), server_default=sa.text("'pending'"), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.Column('created_by_user_id', sa.Uuid(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=True),
        sa.Column('updated_by_user_id', sa.Uuid(), nullable=True),
        sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('deleted_by_user_id', sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(['invited_by_user_id'], ['users.id'], name=op.f('fk_invitations_invited_by_user_id')),
        sa.ForeignKeyConstraint(['role_id'], ['roles.id'], name=op.f('fk_invitations_role_id')),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_invitations_team_id'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations')),
        sa.UniqueConstraint('token', name=op.f('uq_invitations_token')),
        info={'dbkit_reason': 'baseline: table invitations'}
        )
        with op.batch_alter_table('invitations', schema=None) as batch_op:
            # baseline: index ix_invitations_team_id_email
            batch_op.create_index(batch_op.f('ix_invitations_team_id_email'), ['team_id', 'email'], unique=False)

        # baseline: table user_teams
        op.create_table('user_teams',
        sa.Column('id', sa.Uuid(), autoincrement=False, nullable=False),
        sa.Column('user_id', sa.Uuid(), nullable=False, comment='The ID of the related user'),
        sa.Column('team_id', sa.Uuid(), nullable=False, comment='The ID of the related team'),
        sa.Column('role_id', sa.Uuid(), nullable=False, comment='Role within the team'),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.Column('created_by_user_id', sa.Uuid(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=True),
        sa.Column('updated_by_user_id', sa.Uuid(), nullable=True),
        sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('deleted_by_user_id', sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(['role_id'], ['roles.id'], name=op.f('fk_user_teams_role_id')),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_user_teams_team_id')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_teams_user_id')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_teams')),
        sa.UniqueConstraint('user_id', 'team_id', name=op.f('uq_user_teams_membership')),
        comment='Membership of a user in a team, with a role',
        info={'dbkit_reason': 'baseline: table user_teams'}
        )
        with op.batch_alter_table('user_teams', schema=None) as batch_op:
            # baseline: index ix_user_teams_role_id
            batch_op.create_index(batch_op.f('ix_user_teams_role_id'), ['role_id'], unique=False)

        # baseline: table documents
        op.create_table('documents',
        sa.Column('id', sa.Uuid(), autoincrement=False, nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False, comment='Document title'),
        sa.Column('body', sa.Text(), nullable=True),
        sa.Column('folder_id', sa.Uuid(), nullable=True),
        sa.Column('owner_id', sa.Uuid(), nullable=False),
        sa.Column('team_id', sa.Uuid(), nullable=True),
        sa.Column('visibility', sa.Enum('private', 'team', 'public', name='document_visibility'), server_default=sa.text("'private'"), nullable=False),
        sa.Column('size_bytes', sa.Integer(), server_default=sa.text('0'), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.Column('created_by_user_id', sa.Uuid(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=True),
        sa.Column('updated_by_user_id', sa.Uuid(), nullable=True),
        sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('deleted_by_user_id', sa.Uuid(), nullable=True),
        sa.CheckConstraint('size_bytes >= 0', name=op.f('ck_documents_size_nonnegative')),
        sa.ForeignKeyConstraint(['folder_id'], ['folders.id'], name=op.f('fk_documents_folder_id'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_documents_owner_id')),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_documents_team_id')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
        info={'dbkit_reason': 'baseline: table documents'}
        )
        with op.batch_alter_table('documents', schema=None) as batch_op:
            # baseline: index ix_documents_folder_id
            batch_op.create_index(batch_op.f('ix_documents_folder_id'), ['folder_id'], unique=False)
            # baseline: index ix_documents_owner_id_created_at
            batch_op.create_index(batch_op.f('ix_documents_owner_id_created_at'), ['owner_id', 'created_at'], unique=False)
            # baseline: index ix_documents_team_id
            batch_op.create_index(batch_op.f('ix_documents_team_id'), ['team_id'], unique=False)

        # baseline: table document_tags
        op.create_table('document_tags',
        sa.Column('document_id', sa.Uuid(), autoincrement=False, nullable=False),
        sa.Column('tag_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('tagged_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_document_tags_document_id'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tag_id'], ['tags.id'], name=op.f('fk_document_tags_tag_id'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('document_id', 'tag_id', name=op.f('pk_document_tags')),
        comment='Which tags a document carries',
        info={'dbkit_reason': 'baseline: table document_tags'}
        )


def downgrade() -> None:
    with dbkit_ops.sqlite_foreign_keys_suspended(op):
        # undo: baseline: table document_tags
        op.drop_table('document_tags')
        with op.batch_alter_table('documents', schema=None) as batch_op:
            # undo: baseline: index ix_documents_team_id
            batch_op.drop_index(batch_op.f('ix_documents_team_id'))
            # undo: baseline: index ix_documents_owner_id_created_at
            batch_op.drop_index(batch_op.f('ix_documents_owner_id_created_at'))
            # undo: baseline: index ix_documents_folder_id
            batch_op.drop_index(batch_op.f('ix_documents_folder_id'))

        # undo: baseline: table documents
        op.drop_table('documents')
        op.drop_enum_type_if_unused('document_visibility')
        with op.batch_alter_table('user_teams', schema=None) as batch_op:
            # undo: baseline: index ix_user_teams_role_id
            batch_op.drop_index(batch_op.f('ix_user_teams_role_id'))

        # undo: baseline: table user_teams
        op.drop_table('user_teams')
        with op.batch_alter_table('invitations', schema=None) as batch_op:
            # undo: baseline: index ix_invitations_team_id_email
            batch_op.drop_index(batch_op.f('ix_invitations_team_id_email'))

        # undo: baseline: table invitations
        op.drop_table('invitations')
        op.drop_enum_type_if_unused('invitation_status')
        with op.batch_alter_table('folders', schema=None) as batch_op:
            # undo: baseline: index ix_folders_team_id
            batch_op.drop_index(batch_op.f('ix_folders_team_id'))
            # undo: baseline: index ix_folders_parent_id
            batch_op.drop_index(batch_op.f('ix_folders_parent_id'))

        # undo: baseline: table folders
        op.drop_table('folders')
        # undo: baseline: table teams
        op.drop_table('teams')
        with op.batch_alter_table('credentials', schema=None) as batch_op:
            # undo: baseline: index ix_credentials_user_id
            batch_op.drop_index(batch_op.f('ix_credentials_user_id'))

        # undo: baseline: table credentials
        op.drop_table('credentials')
        with op.batch_alter_table('users', schema=None) as batch_op:
            # undo: baseline: index ix_users_status_created_at
            batch_op.drop_index(batch_op.f('ix_users_status_created_at'))
            # undo: baseline: index ix_users_last_login_at
            batch_op.drop_index(batch_op.f('ix_users_last_login_at'))

        # undo: baseline: table users
        op.drop_table('users')
        op.drop_enum_type_if_unused('user_status')
        # undo: baseline: table tags
        op.drop_table('tags')
        # undo: baseline: table roles
        op.drop_table('roles')


# The schema before and after this revision (dbkit snapshot documents).
dbkit_from_snapshot = None

dbkit_to_snapshot = r'''
{
  "dialect": null,
  "enums": [
    {
      "name": "document_visibility",
      "values": [
        "private",
        "team",
        "public"
      ]
    },
    {
      "name": "invitation_status",
      "values": [
        "pending",
        "accepted",
        "declined",
        "expired"
      ]
    },
    {
      "name": "user_status",
      "values": [
        "active",
        "suspended",
        "deactivated"
      ]
    }
  ],
  "format_version": 1,
  "tables": [
    {
      "check_constraints": [
        {
          "name": "ck_credentials_kind_allowed",
          "sqltext": "kind in (\u0027password\u0027, \u0027api_key\u0027, \u0027totp\u0027)"
        }
      ],
      "columns": [
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "id",
          "nullable": false,
          "primary_key": true,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "user_id",
          "nullable": false,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": "password, api_key or totp",
          "computed": null,
          "identity": null,
          "name": "kind",
          "nullable": false,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "string",
            "length": 20
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "secret_hash",
          "nullable": false,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "string",
            "length": 255
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "expires_at",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "datetime",
            "timezone": true
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "created_at",
          "nullable": false,
          "primary_key": false,
          "server_default": "CURRENT_TIMESTAMP",
          "type": {
            "kind": "datetime",
            "timezone": true
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "created_by_user_id",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "updated_at",
          "nullable": true,
          "primary_key": false,
          "server_default": "CURRENT_TIMESTAMP",
          "type": {
            "kind": "datetime",
            "timezone": true
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "updated_by_user_id",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "deleted_at",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "datetime",
            "timezone": true
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "deleted_by_user_id",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        }
      ],
      "comment": "Secrets a user signs in with (hashed)",
      "foreign_keys": [
        {
          "columns": [
            "user_id"
          ],
          "name": "fk_credentials_user_id",
          "ondelete": "CASCADE",
          "onupdate": null,
          "referred_columns": [
            "id"
          ],
          "referred_table": "users"
        }
      ],
      "indexes": [
        {
          "columns": [
            "user_id"
          ],
          "expressions": false,
          "name": "ix_credentials_user_id",
          "unique": false
        }
      ],
      "migration_notes": null,
      "model": "Credential",
      "name": "credentials",
      "primary_key": {
        "columns": [
          "id"
        ],
        "name": "pk_credentials"
      },
      "unique_constraints": [
        {
          "columns": [
            "user_id",
            "kind"
          ],
          "name": "uq_credentials_user_id_kind"
        }
      ]
    },
    {
      "check_constraints": [],
      "columns": [
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "document_id",
          "nullable": false,
          "primary_key": true,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "tag_id",
          "nullable": false,
          "primary_key": true,
          "server_default": null,
          "type": {
            "kind": "integer"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "tagged_at",
          "nullable": false,
          "primary_key": false,
          "server_default": "CURRENT_TIMESTAMP",
          "type": {
            "kind": "datetime",
            "timezone": true
          }
        }
      ],
      "comment": "Which tags a document carries",
      "foreign_keys": [
        {
          "columns": [
            "document_id"
          ],
          "name": "fk_document_tags_document_id",
          "ondelete": "CASCADE",
          "onupdate": null,
          "referred_columns": [
            "id"
          ],
          "referred_table": "documents"
        },
        {
          "columns": [
            "tag_id"
          ],
          "name": "fk_document_tags_tag_id",
          "ondelete": "CASCADE",
          "onupdate": null,
          "referred_columns": [
            "id"
          ],
          "referred_table": "tags"
        }
      ],
      "indexes": [],
      "migration_notes": null,
      "model": null,
      "name": "document_tags",
      "primary_key": {
        "columns": [
          "document_id",
          "tag_id"
        ],
        "name": "pk_document_tags"
      },
      "unique_constraints": []
    },
    {
      "check_constraints": [
        {
          "name": "ck_documents_size_nonnegative",
          "sqltext": "size_bytes >= 0"
        }
      ],
      "columns": [
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "id",
          "nullable": false,
          "primary_key": true,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": "Document title",
          "computed": null,
          "identity": null,
          "name": "title",
          "nullable": false,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "string",
            "length": 300
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "body",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "text"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "folder_id",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "owner_id",
          "nullable": false,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "team_id",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "visibility",
          "nullable": false,
          "primary_key": false,
          "server_default": "\u0027private\u0027",
          "type": {
            "kind": "enum",
            "length": 7,
            "name": "document_visibility",
            "values": [
              "private",
              "team",
              "public"
            ]
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "size_bytes",
          "nullable": false,
          "primary_key": false,
          "server_default": "0",
          "type": {
            "kind": "integer"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "version",
          "nullable": false,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "integer"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "created_at",
          "nullable": false,
          "primary_key": false,
          "server_default": "CURRENT_TIMESTAMP",
          "type": {
            "kind": "datetime",
            "timezone": true
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "created_by_user_id",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "updated_at",
          "nullable": true,
          "primary_key": false,
          "server_default": "CURRENT_TIMESTAMP",
          "type": {
            "kind": "datetime",
            "timezone": true
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "updated_by_user_id",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "deleted_at",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "datetime",
            "timezone": true
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "deleted_by_user_id",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        }
      ],
      "comment": null,
      "foreign_keys": [
        {
          "columns": [
            "folder_id"
          ],
          "name": "fk_documents_folder_id",
          "ondelete": "SET NULL",
          "onupdate": null,
          "referred_columns": [
            "id"
          ],
          "referred_table": "folders"
        },
        {
          "columns": [
            "owner_id"
          ],
          "name": "fk_documents_owner_id",
          "ondelete": null,
          "onupdate": null,
          "referred_columns": [
            "id"
          ],
          "referred_table": "users"
        },
        {
          "columns": [
            "team_id"
          ],
          "name": "fk_documents_team_id",
          "ondelete": null,
          "onupdate": null,
          "referred_columns": [
            "id"
          ],
          "referred_table": "teams"
        }
      ],
      "indexes": [
        {
          "columns": [
            "folder_id"
          ],
          "expressions": false,
          "name": "ix_documents_folder_id",
          "unique": false
        },
        {
          "columns": [
            "owner_id",
            "created_at"
          ],
          "expressions": false,
          "name": "ix_documents_owner_id_created_at",
          "unique": false
        },
        {
          "columns": [
            "team_id"
          ],
          "expressions": false,
          "name": "ix_documents_team_id",
          "unique": false
        }
      ],
      "migration_notes": null,
      "model": "Document",
      "name": "documents",
      "primary_key": {
        "columns": [
          "id"
        ],
        "name": "pk_documents"
      },
      "unique_constraints": []
    },
    {
      "check_constraints": [],
      "columns": [
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "id",
          "nullable": false,
          "primary_key": true,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "name",
          "nullable": false,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "string",
            "length": 200
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "parent_id",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "team_id",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "created_at",
          "nullable": false,
          "primary_key": false,
          "server_default": "CURRENT_TIMESTAMP",
          "type": {
            "kind": "datetime",
            "timezone": true
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "created_by_user_id",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "updated_at",
          "nullable": true,
          "primary_key": false,
          "server_default": "CURRENT_TIMESTAMP",
          "type": {
            "kind": "datetime",
            "timezone": true
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "updated_by_user_id",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "deleted_at",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "datetime",
            "timezone": true
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "deleted_by_user_id",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        }
      ],
      "comment": "A folder tree per team",
      "foreign_keys": [
        {
          "columns": [
            "parent_id"
          ],
          "name": "fk_folders_parent_id",
          "ondelete": "CASCADE",
          "onupdate": null,
          "referred_columns": [
            "id"
          ],
          "referred_table": "folders"
        },
        {
          "columns": [
            "team_id"
          ],
          "name": "fk_folders_team_id",
          "ondelete": null,
          "onupdate": null,
          "referred_columns": [
            "id"
          ],
          "referred_table": "teams"
        }
      ],
      "indexes": [
        {
          "columns": [
            "parent_id"
          ],
          "expressions": false,
          "name": "ix_folders_parent_id",
          "unique": false
        },
        {
          "columns": [
            "team_id"
          ],
          "expressions": false,
          "name": "ix_folders_team_id",
          "unique": false
        }
      ],
      "migration_notes": null,
      "model": "Folder",
      "name": "folders",
      "primary_key": {
        "columns": [
          "id"
        ],
        "name": "pk_folders"
      },
      "unique_constraints": [
        {
          "columns": [
            "parent_id",
            "name"
          ],
          "name": "uq_folders_parent_id_name"
        }
      ]
    },
    {
      "check_constraints": [],
      "columns": [
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "id",
          "nullable": false,
          "primary_key": true,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "team_id",
          "nullable": false,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "role_id",
          "nullable": false,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "email",
          "nullable": false,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "string",
            "length": 255
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "invited_by_user_id",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "token",
          "nullable": false,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "string",
            "length": 64
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "status",
          "nullable": false,
          "primary_key": false,
          "server_default": "\u0027pending\u0027",
          "type": {
            "kind": "enum",
            "length": 8,
            "name": "invitation_status",
            "values": [
              "pending",
              "accepted",
              "declined",
              "expired"
            ]
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "expires_at",
          "nullable": false,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "datetime",
            "timezone": true
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "created_at",
          "nullable": false,
          "primary_key": false,
          "server_default": "CURRENT_TIMESTAMP",
          "type": {
            "kind": "datetime",
            "timezone": true
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "created_by_user_id",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "updated_at",
          "nullable": true,
          "primary_key": false,
          "server_default": "CURRENT_TIMESTAMP",
          "type": {
            "kind": "datetime",
            "timezone": true
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "updated_by_user_id",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "deleted_at",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "datetime",
            "timezone": true
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "deleted_by_user_id",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        }
      ],
      "comment": null,
      "foreign_keys": [
        {
          "columns": [
            "invited_by_user_id"
          ],
          "name": "fk_invitations_invited_by_user_id",
          "ondelete": null,
          "onupdate": null,
          "referred_columns": [
            "id"
          ],
          "referred_table": "users"
        },
        {
          "columns": [
            "role_id"
          ],
          "name": "fk_invitations_role_id",
          "ondelete": null,
          "onupdate": null,
          "referred_columns": [
            "id"
          ],
          "referred_table": "roles"
        },
        {
          "columns": [
            "team_id"
          ],
          "name": "fk_invitations_team_id",
          "ondelete": "CASCADE",
          "onupdate": null,
          "referred_columns": [
            "id"
          ],
          "referred_table": "teams"
        }
      ],
      "indexes": [
        {
          "columns": [
            "team_id",
            "email"
          ],
          "expressions": false,
          "name": "ix_invitations_team_id_email",
          "unique": false
        }
      ],
      "migration_notes": null,
      "model": "Invitation",
      "name": "invitations",
      "primary_key": {
        "columns": [
          "id"
        ],
        "name": "pk_invitations"
      },
      "unique_constraints": [
        {
          "columns": [
            "token"
          ],
          "name": "uq_invitations_token"
        }
      ]
    },
    {
      "check_constraints": [],
      "columns": [
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "id",
          "nullable": false,
          "primary_key": true,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": "Role name, e.g. owner",
          "computed": null,
          "identity": null,
          "name": "name",
          "nullable": false,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "string",
            "length": 50
          }
        },
        {
          "autoincrement": false,
          "comment": "What members with this role may do",
          "computed": null,
          "identity": null,
          "name": "description",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "text"
          }
        },
        {
          "autoincrement": false,
          "comment": "Built-in roles cannot be edited",
          "computed": null,
          "identity": null,
          "name": "is_system",
          "nullable": false,
          "primary_key": false,
          "server_default": "false",
          "type": {
            "kind": "boolean"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "created_at",
          "nullable": false,
          "primary_key": false,
          "server_default": "CURRENT_TIMESTAMP",
          "type": {
            "kind": "datetime",
            "timezone": true
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "created_by_user_id",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "updated_at",
          "nullable": true,
          "primary_key": false,
          "server_default": "CURRENT_TIMESTAMP",
          "type": {
            "kind": "datetime",
            "timezone": true
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "updated_by_user_id",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "deleted_at",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "datetime",
            "timezone": true
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "deleted_by_user_id",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        }
      ],
      "comment": "Named permission sets granted through team membership",
      "foreign_keys": [],
      "indexes": [],
      "migration_notes": null,
      "model": "Role",
      "name": "roles",
      "primary_key": {
        "columns": [
          "id"
        ],
        "name": "pk_roles"
      },
      "unique_constraints": [
        {
          "columns": [
            "name"
          ],
          "name": "uq_roles_name"
        }
      ]
    },
    {
      "check_constraints": [],
      "columns": [
        {
          "autoincrement": true,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "id",
          "nullable": false,
          "primary_key": true,
          "server_default": null,
          "type": {
            "kind": "integer"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "name",
          "nullable": false,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "string",
            "length": 50
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "color",
          "nullable": false,
          "primary_key": false,
          "server_default": "\u0027#888888\u0027",
          "type": {
            "kind": "string",
            "length": 7
          }
        }
      ],
      "comment": null,
      "foreign_keys": [],
      "indexes": [],
      "migration_notes": null,
      "model": "Tag",
      "name": "tags",
      "primary_key": {
        "columns": [
          "id"
        ],
        "name": "pk_tags"
      },
      "unique_constraints": [
        {
          "columns": [
            "name"
          ],
          "name": "uq_tags_name"
        }
      ]
    },
    {
      "check_constraints": [],
      "columns": [
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "id",
          "nullable": false,
          "primary_key": true,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": "Display name",
          "computed": null,
          "identity": null,
          "name": "name",
          "nullable": false,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "string",
            "length": 100
          }
        },
        {
          "autoincrement": false,
          "comment": "URL-safe name",
          "computed": null,
          "identity": null,
          "name": "slug",
          "nullable": false,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "string",
            "length": 100
          }
        },
        {
          "autoincrement": false,
          "comment": "What the team works on",
          "computed": null,
          "identity": null,
          "name": "description",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "text"
          }
        },
        {
          "autoincrement": false,
          "comment": "The user who owns the team",
          "computed": null,
          "identity": null,
          "name": "owner_id",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": "Seat limit of the plan",
          "computed": null,
          "identity": null,
          "name": "max_members",
          "nullable": false,
          "primary_key": false,
          "server_default": "25",
          "type": {
            "kind": "integer"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "created_at",
          "nullable": false,
          "primary_key": false,
          "server_default": "CURRENT_TIMESTAMP",
          "type": {
            "kind": "datetime",
            "timezone": true
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "created_by_user_id",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "updated_at",
          "nullable": true,
          "primary_key": false,
          "server_default": "CURRENT_TIMESTAMP",
          "type": {
            "kind": "datetime",
            "timezone": true
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "updated_by_user_id",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "deleted_at",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "datetime",
            "timezone": true
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "deleted_by_user_id",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        }
      ],
      "comment": "Groups of users sharing documents",
      "foreign_keys": [
        {
          "columns": [
            "owner_id"
          ],
          "name": "fk_teams_owner_id",
          "ondelete": "SET NULL",
          "onupdate": null,
          "referred_columns": [
            "id"
          ],
          "referred_table": "users"
        }
      ],
      "indexes": [],
      "migration_notes": null,
      "model": "Team",
      "name": "teams",
      "primary_key": {
        "columns": [
          "id"
        ],
        "name": "pk_teams"
      },
      "unique_constraints": [
        {
          "columns": [
            "slug"
          ],
          "name": "uq_teams_slug"
        }
      ]
    },
    {
      "check_constraints": [],
      "columns": [
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "id",
          "nullable": false,
          "primary_key": true,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": "The ID of the related user",
          "computed": null,
          "identity": null,
          "name": "user_id",
          "nullable": false,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": "The ID of the related team",
          "computed": null,
          "identity": null,
          "name": "team_id",
          "nullable": false,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": "Role within the team",
          "computed": null,
          "identity": null,
          "name": "role_id",
          "nullable": false,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "created_at",
          "nullable": false,
          "primary_key": false,
          "server_default": "CURRENT_TIMESTAMP",
          "type": {
            "kind": "datetime",
            "timezone": true
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "created_by_user_id",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "updated_at",
          "nullable": true,
          "primary_key": false,
          "server_default": "CURRENT_TIMESTAMP",
          "type": {
            "kind": "datetime",
            "timezone": true
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "updated_by_user_id",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "deleted_at",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "datetime",
            "timezone": true
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "deleted_by_user_id",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        }
      ],
      "comment": "Membership of a user in a team, with a role",
      "foreign_keys": [
        {
          "columns": [
            "role_id"
          ],
          "name": "fk_user_teams_role_id",
          "ondelete": null,
          "onupdate": null,
          "referred_columns": [
            "id"
          ],
          "referred_table": "roles"
        },
        {
          "columns": [
            "team_id"
          ],
          "name": "fk_user_teams_team_id",
          "ondelete": null,
          "onupdate": null,
          "referred_columns": [
            "id"
          ],
          "referred_table": "teams"
        },
        {
          "columns": [
            "user_id"
          ],
          "name": "fk_user_teams_user_id",
          "ondelete": null,
          "onupdate": null,
          "referred_columns": [
            "id"
          ],
          "referred_table": "users"
        }
      ],
      "indexes": [
        {
          "columns": [
            "role_id"
          ],
          "expressions": false,
          "name": "ix_user_teams_role_id",
          "unique": false
        }
      ],
      "migration_notes": null,
      "model": "UserTeam",
      "name": "user_teams",
      "primary_key": {
        "columns": [
          "id"
        ],
        "name": "pk_user_teams"
      },
      "unique_constraints": [
        {
          "columns": [
            "user_id",
            "team_id"
          ],
          "name": "uq_user_teams_membership"
        }
      ]
    },
    {
      "check_constraints": [],
      "columns": [
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "id",
          "nullable": false,
          "primary_key": true,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": "Login e-mail address",
          "computed": null,
          "identity": null,
          "name": "email",
          "nullable": false,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "string",
            "length": 255
          }
        },
        {
          "autoincrement": false,
          "comment": "Name shown to other users",
          "computed": null,
          "identity": null,
          "name": "fullname",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "string",
            "length": 120
          }
        },
        {
          "autoincrement": false,
          "comment": "Account state",
          "computed": null,
          "identity": null,
          "name": "status",
          "nullable": false,
          "primary_key": false,
          "server_default": "\u0027active\u0027",
          "type": {
            "kind": "enum",
            "length": 11,
            "name": "user_status",
            "values": [
              "active",
              "suspended",
              "deactivated"
            ]
          }
        },
        {
          "autoincrement": false,
          "comment": "Preferred language",
          "computed": null,
          "identity": null,
          "name": "locale",
          "nullable": false,
          "primary_key": false,
          "server_default": "\u0027en\u0027",
          "type": {
            "kind": "string",
            "length": 10
          }
        },
        {
          "autoincrement": false,
          "comment": "Profile picture URL",
          "computed": null,
          "identity": null,
          "name": "avatar_url",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "string",
            "length": 500
          }
        },
        {
          "autoincrement": false,
          "comment": "Last sign-in",
          "computed": null,
          "identity": null,
          "name": "last_login_at",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "datetime",
            "timezone": true
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "created_at",
          "nullable": false,
          "primary_key": false,
          "server_default": "CURRENT_TIMESTAMP",
          "type": {
            "kind": "datetime",
            "timezone": true
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "created_by_user_id",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "updated_at",
          "nullable": true,
          "primary_key": false,
          "server_default": "CURRENT_TIMESTAMP",
          "type": {
            "kind": "datetime",
            "timezone": true
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "updated_by_user_id",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "deleted_at",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "datetime",
            "timezone": true
          }
        },
        {
          "autoincrement": false,
          "comment": null,
          "computed": null,
          "identity": null,
          "name": "deleted_by_user_id",
          "nullable": true,
          "primary_key": false,
          "server_default": null,
          "type": {
            "kind": "uuid"
          }
        }
      ],
      "comment": "People who can sign in",
      "foreign_keys": [],
      "indexes": [
        {
          "columns": [
            "last_login_at"
          ],
          "expressions": false,
          "name": "ix_users_last_login_at",
          "unique": false
        },
        {
          "columns": [
            "status",
            "created_at"
          ],
          "expressions": false,
          "name": "ix_users_status_created_at",
          "unique": false
        }
      ],
      "migration_notes": null,
      "model": "User",
      "name": "users",
      "primary_key": {
        "columns": [
          "id"
        ],
        "name": "pk_users"
      },
      "unique_constraints": [
        {
          "columns": [
            "email"
          ],
          "name": "uq_users_email"
        }
      ]
    }
  ]
}
'''
