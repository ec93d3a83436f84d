using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Broadsheet.Data.Migrations.Sqlite
{
    /// <summary>
    /// Queued mail made from the templates keeps the values it was rendered with instead of its bodies (see
    /// <c>OutboundEmail.TemplateValues</c>). Generated from the model; its model snapshot file is left out (as for
    /// <c>Lz4MailBodies</c>): only tooling that removes migrations reads it, and it repeated the whole model.
    /// </summary>
    [DbContext(typeof(SqliteBroadsheetDb))]
    [Migration("20261127135248_MailTemplateValues")]
    public partial class MailTemplateValues : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "TemplateValues",
                table: "OutboundEmails",
                type: "TEXT",
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
