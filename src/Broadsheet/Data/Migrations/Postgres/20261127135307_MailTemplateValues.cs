using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Broadsheet.Data.Migrations.Postgres
{
    /// <summary>
    /// Queued mail made from the templates keeps the values it was rendered with instead of its bodies (see
    /// <c>OutboundEmail.TemplateValues</c>). Generated from the model; its model snapshot file is left out (as for
    /// <c>Lz4MailBodies</c>): only tooling that removes migrations reads it, and it repeated the whole model.
    /// </summary>
    [DbContext(typeof(PostgresBroadsheetDb))]
    [Migration("20261127135307_MailTemplateValues")]
    public partial class MailTemplateValues : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "TemplateValues",
                table: "OutboundEmails",
                type: "text",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "TemplateValues",
                table: "OutboundEmails");
        }
    }
}
