using Broadsheet.Articles;
using Broadsheet.Mail;
using Broadsheet.Newsletters;
using Broadsheet.Subscribers;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Data;

/// <summary>The one EF Core model; <see cref="SqliteBroadsheetDb"/> and <see cref="PostgresBroadsheetDb"/> carry each provider's migrations.</summary>
public abstract class BroadsheetDb(DbContextOptions options) : DbContext(options), IDataProtectionKeyContext
{
    /// <summary>
    /// Whether this context is the PostgreSQL one (else SQLite): a type test, where EF's <c>IsNpgsql()</c> and
    /// <c>IsSqlite()</c> read the provider assembly's name on every call, which showed in the sign-up profile.
    /// </summary>
    public bool OnPostgres => this is PostgresBroadsheetDb;

    public DbSet<Article> Articles => Set<Article>();
    public DbSet<Newsletter> Newsletters => Set<Newsletter>();
    public DbSet<Subscriber> Subscribers => Set<Subscriber>();
    public DbSet<Subscription> Subscriptions => Set<Subscription>();
    public DbSet<ConsentRecord> Consents => Set<ConsentRecord>();
    public DbSet<OutboundEmail> OutboundEmails => Set<OutboundEmail>();
    public DbSet<Suppression> Suppressions => Set<Suppression>();
    public DbSet<Segment> Segments => Set<Segment>();
    public DbSet<Jobs.Job> Jobs => Set<Jobs.Job>();
    public DbSet<Admin.AdminUser> AdminUsers => Set<Admin.AdminUser>();
    public DbSet<Admin.ApiToken> ApiTokens => Set<Admin.ApiToken>();
    public DbSet<Admin.AuditEntry> AuditEntries => Set<Admin.AuditEntry>();
    public DbSet<Editions.Edition> Editions => Set<Editions.Edition>();
    public DbSet<Editions.EditionTemplate> EditionTemplates => Set<Editions.EditionTemplate>();
    public DbSet<Delivery.DeliveryRecord> Deliveries => Set<Delivery.DeliveryRecord>();
    public DbSet<Delivery.SigningKey> SigningKeys => Set<Delivery.SigningKey>();
    public DbSet<DataProtectionKey> DataProtectionKeys { get; set; } = null!;

    protected override void OnModelCreating(ModelBuilder b)
    {
        b.Entity<Article>(e =>
        {
            e.HasIndex(a => a.Slug).IsUnique();
            e.HasIndex(a => a.PublishedAt);
            e.Property(a => a.Slug).HasMaxLength(200);
            e.Property(a => a.Headline).HasMaxLength(300);
            e.Property(a => a.Section).HasMaxLength(100);
            e.Property(a => a.Standfirst).HasMaxLength(1000);
            e.OwnsMany(a => a.Related, r => r.ToJson());
        });

        b.Entity<Newsletter>(e =>
        {
            e.Property(n => n.ScheduleDays).HasMaxLength(40);
            e.Property(n => n.ScheduleTime).HasMaxLength(5);
            e.Property(n => n.ScheduleTimeZone).HasMaxLength(100);
            e.HasIndex(n => n.NextScheduledRunAt);
            e.HasIndex(n => n.Slug).IsUnique();
            e.Property(n => n.Slug).HasMaxLength(100);
            e.Property(n => n.Name).HasMaxLength(200);
            e.Property(n => n.SenderName).HasMaxLength(200);
            e.Property(n => n.SenderEmail).HasMaxLength(254);
            e.Property(n => n.ReplyTo).HasMaxLength(254);
        });

        b.Entity<Subscriber>(e =>
        {
            e.HasIndex(s => s.NormalizedEmail).IsUnique();
            e.Property(s => s.Email).HasMaxLength(254);
            // Byte order on PostgreSQL (as SQLite compares anyway): the one unique index then serves address-prefix
            // search (LIKE 'abc%') and the console's sort by address, which text_pattern_ops could not.
            var normalizedEmail = e.Property(s => s.NormalizedEmail).HasMaxLength(254);
            if (Database.IsNpgsql()) normalizedEmail.UseCollation("C");
            e.Property(s => s.Status).HasConversion<string>().HasMaxLength(20);
            e.Property(s => s.Source).HasMaxLength(2000);
            e.Property(s => s.SourceSection).HasMaxLength(100);
            e.HasIndex(s => s.SourceSection);
            e.Property(s => s.Name).HasMaxLength(200);
            // Partial where a sign-up leaves the column empty (most readers give no name): no index entry to write for them.
            var byName = e.HasIndex(s => s.Name).HasFilter("\"Name\" IS NOT NULL");
            if (Database.IsNpgsql()) byName.HasOperators("text_pattern_ops");
            if (Database.IsNpgsql()) e.Property(s => s.Attributes).HasColumnType("jsonb");
            e.HasIndex(s => new { s.CreatedAt, s.Id }); // the console list pages by (CreatedAt, Id)
        });

        b.Entity<Suppression>(e =>
        {
            e.HasIndex(x => x.AddressHash).IsUnique();
            e.Property(x => x.AddressHash).HasMaxLength(64);
            e.Property(x => x.Reason).HasConversion<string>().HasMaxLength(20);
            e.Property(x => x.Note).HasMaxLength(500);
        });

        b.Entity<Import.ImportRejection>(e =>
        {
            e.HasIndex(x => new { x.JobId, x.Line });
            e.Property(x => x.Value).HasMaxLength(300);
            e.Property(x => x.Reason).HasMaxLength(200);
        });

        b.Entity<Site.Setting>(e =>
        {
            e.HasKey(x => x.Key);
            e.Property(x => x.Key).HasMaxLength(100);
        });

        b.Entity<Segment>(e =>
        {
            e.Property(x => x.Name).HasMaxLength(200);
            e.Property(x => x.CreatedBy).HasMaxLength(254);
        });

        b.Entity<Jobs.Job>(e =>
        {
            e.HasIndex(j => new { j.Status, j.CreatedAt });
            e.Property(j => j.Kind).HasConversion<string>().HasMaxLength(30);
            e.Property(j => j.Status).HasConversion<string>().HasMaxLength(20);
            e.Property(j => j.Title).HasMaxLength(300);
            e.Property(j => j.CreatedBy).HasMaxLength(254);
            e.Property(j => j.Error).HasMaxLength(2000);
        });

        b.Entity<Admin.AdminUser>(e =>
        {
            e.HasIndex(u => u.NormalizedEmail).IsUnique();
            e.Property(u => u.Email).HasMaxLength(254);
            e.Property(u => u.NormalizedEmail).HasMaxLength(254);
            e.Property(u => u.Role).HasConversion<string>().HasMaxLength(20);
            e.Property(u => u.SecurityStamp).HasMaxLength(64);
        });

        b.Entity<Admin.ApiToken>(e =>
        {
            e.HasIndex(t => t.Hash).IsUnique();
            e.Property(t => t.Hash).HasMaxLength(64);
            e.Property(t => t.Prefix).HasMaxLength(16);
            e.Property(t => t.Name).HasMaxLength(100);
            e.HasOne(t => t.User).WithMany().HasForeignKey(t => t.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        b.Entity<Admin.AuditEntry>(e =>
        {
            e.HasIndex(a => a.At);
            e.Property(a => a.Actor).HasMaxLength(254);
            e.Property(a => a.Action).HasMaxLength(100);
            e.Property(a => a.Target).HasMaxLength(500);
            e.Property(a => a.Details).HasMaxLength(4000);
        });

        b.Entity<Subscription>(e =>
        {
            e.HasIndex(s => new { s.SubscriberId, s.NewsletterId }).IsUnique();
            e.HasIndex(s => new { s.NewsletterId, s.Status });
            e.Property(s => s.Status).HasConversion<string>().HasMaxLength(20);
            e.HasOne(s => s.Subscriber).WithMany(s => s.Subscriptions).HasForeignKey(s => s.SubscriberId);
            e.HasOne(s => s.Newsletter).WithMany().HasForeignKey(s => s.NewsletterId);
        });

        b.Entity<ConsentRecord>(e =>
        {
            e.HasIndex(c => c.SubscriptionId);
            e.HasIndex(c => c.SubscriberId);
            e.Property(c => c.SourceUrl).HasMaxLength(2000);
            e.Property(c => c.IpAddress).HasMaxLength(45);
            e.HasOne(c => c.Subscription).WithMany().HasForeignKey(c => c.SubscriptionId);
            e.HasOne(c => c.Subscriber).WithMany().HasForeignKey(c => c.SubscriberId);
            e.HasIndex(c => c.Nonce).IsUnique();
            e.Property(c => c.Nonce).HasMaxLength(32);
        });

        b.Entity<Editions.Edition>(e =>
        {
            e.HasIndex(x => new { x.NewsletterId, x.CreatedAt });
            e.HasIndex(x => new { x.Status, x.ScheduledAt });
            e.Property(x => x.Subject).HasMaxLength(300);
            e.Property(x => x.Preheader).HasMaxLength(300);
            e.Property(x => x.Status).HasConversion<string>().HasMaxLength(20);
            e.Property(x => x.PausedReason).HasMaxLength(1000);
            e.Property(x => x.LeaseOwner).HasMaxLength(100);
            e.Property(x => x.CreatedBy).HasMaxLength(254);
            e.HasOne(x => x.Newsletter).WithMany().HasForeignKey(x => x.NewsletterId);
        });

        b.Entity<Editions.EditionTemplate>(e =>
        {
            e.HasIndex(x => x.Name).IsUnique();
            e.Property(x => x.Name).HasMaxLength(100);
            e.Property(x => x.UpdatedBy).HasMaxLength(254);
        });

        b.Entity<Delivery.DeliveryRecord>(e =>
        {
            e.HasIndex(x => new { x.EditionId, x.SubscriberId }).IsUnique();
            // Senders claim by (edition, status, next attempt); progress counts by (edition, status).
            e.HasIndex(x => new { x.EditionId, x.Status, x.NextAttemptAt });
            e.HasIndex(x => new { x.EditionId, x.SentAt });
            e.HasIndex(x => x.SubscriberId);
            e.Property(x => x.Email).HasMaxLength(254);
            e.Property(x => x.Status).HasConversion<string>().HasMaxLength(20);
            e.Property(x => x.LastReply).HasMaxLength(1000);
            // Each record is updated twice during a send: claimed, then sent. Pages half empty let PostgreSQL write the
            // claim (which changes no indexed column) as a heap-only update, without a new entry in every index.
            if (Database.IsNpgsql()) e.HasStorageParameter("fillfactor", 50);
        });

        b.Entity<Delivery.SigningKey>(e =>
        {
            e.HasIndex(x => new { x.Domain, x.Selector }).IsUnique();
            e.Property(x => x.Domain).HasMaxLength(253);
            e.Property(x => x.Selector).HasMaxLength(63);
            e.Property(x => x.CreatedBy).HasMaxLength(254);
        });

        b.Entity<OutboundEmail>(e =>
        {
            e.Ignore(m => m.Rendered);
            e.HasIndex(m => new { m.Status, m.NextAttemptAt });
            // Partial: a sign-up's confirmation is handed to the worker in memory, not claimed by a batch, so queueing it
            // and marking it sent write no entry here. Random tokens scatter their entries over the whole index, which
            // made these the dearest index writes of a sign-up.
            e.HasIndex(m => m.ClaimToken).HasFilter("\"ClaimToken\" IS NOT NULL");
            // A subscriber's mail (their page, export, erasure) is found by their id, and mail that names nobody by its
            // address: each through its own index, so neither reads the whole table, and sign-ups, whose mail names its
            // subscriber, write no address entry.
            e.HasIndex(m => m.SubscriberId).HasFilter("\"SubscriberId\" IS NOT NULL");
            e.HasIndex(m => m.ToAddress).HasFilter("\"SubscriberId\" IS NULL");
            e.Property(m => m.Status).HasConversion<string>().HasMaxLength(20);
            e.Property(m => m.Kind).HasMaxLength(50);
            e.Property(m => m.ToAddress).HasMaxLength(254);
            e.Property(m => m.MessageId).HasMaxLength(200);
        });
    }
}

/// <summary>SQLite flavour of the model; its migrations live in Data/Migrations/Sqlite.</summary>
public sealed class SqliteBroadsheetDb(DbContextOptions<SqliteBroadsheetDb> options) : BroadsheetDb(options);

/// <summary>PostgreSQL flavour of the model; its migrations live in Data/Migrations/Postgres.</summary>
public sealed class PostgresBroadsheetDb(DbContextOptions<PostgresBroadsheetDb> options) : BroadsheetDb(options);
