using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Broadsheet.Data.Migrations.Postgres
{
    /// <summary>
    /// Queued mail bodies (a few kilobytes, over PostgreSQL's compression threshold) compressed with lz4 instead of
    /// pglz, which was about a twentieth of PostgreSQL's work per sign-up. Hand-written, not from the model: a server
    /// built without lz4 (or older than 14) keeps pglz rather than failing to start.
    /// </summary>
    [DbContext(typeof(PostgresBroadsheetDb))]
    [Migration("20261126213000_Lz4MailBodies")]
    public partial class Lz4MailBodies : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder) => Set(migrationBuilder, "lz4");

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder) => Set(migrationBuilder, "pglz");

        private static void Set(MigrationBuilder migrationBuilder, string method) => migrationBuilder.Sql($"""
            DO $$
            BEGIN
              IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND '{method}' = ANY (enumvals)) THEN
                ALTER TABLE "OutboundEmails" ALTER COLUMN "HtmlBody" SET COMPRESSION {method}, ALTER COLUMN "TextBody" SET COMPRESSION {method};
              END IF;
            END $$;
            """);
    }
}
