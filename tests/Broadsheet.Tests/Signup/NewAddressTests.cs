using System.Net;
using Broadsheet.Subscribers;
using Broadsheet.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Tests.Signup;

/// <summary>
/// A sign-up of an address never seen before, which the app writes with its own SQL (Signup/SignupSql.cs): the same
/// records as the general path, linked the same way, and nothing at all when any part fails.
/// </summary>
public abstract class NewAddressTests(AppFixture app)
{
    [Fact]
    public async Task Several_newsletters_at_once_get_a_subscription_and_a_current_consent_each()
    {
        var email = TestData.NewEmail("several");
        using var client = app.Server.CreateClient(cookies: true);
        var before = DateTime.UtcNow.AddSeconds(-1);
        using (var response = await SignupHttp.PostApiAsync(client, new { email, newsletters = new[] { TestData.Default, TestData.SingleOptIn }, source = "https://partner.example/a" }))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var records = await AddressRecords.LoadAsync(app.Server, email);
        var subscriber = Assert.Single(records.Subscribers);
        Assert.Equal(SubscriberStatus.Active, subscriber.Status);
        Assert.Equal("https://partner.example/a", subscriber.Source);
        Assert.Equal("{}", subscriber.Attributes.Replace(" ", ""));
        Assert.Equal(2, records.Subscriptions.Count);
        Assert.Equal(2, records.Consents.Count);
        Assert.NotEqual(records.Consents[0].Nonce, records.Consents[1].Nonce);
        foreach (var subscription in records.Subscriptions)
        {
            var consent = Assert.Single(records.Consents, c => c.SubscriptionId == subscription.Id);
            Assert.Equal(consent.Id, subscription.CurrentConsentId);
            Assert.Equal(subscription.NewsletterId, consent.NewsletterId);
            Assert.Equal(subscriber.Id, consent.SubscriberId);
            Assert.Equal("https://partner.example/a", consent.SourceUrl);
            Assert.Equal("127.0.0.1", consent.IpAddress);
            Assert.False(string.IsNullOrWhiteSpace(consent.Wording));
            Assert.InRange(consent.GivenAt, before, DateTime.UtcNow.AddSeconds(1));
            Assert.Equal(consent.GivenAt, subscription.CreatedAt);
        }

        var pending = Assert.Single(records.Subscriptions, s => s.Newsletter.Slug == TestData.Default);
        Assert.Equal(SubscriptionStatus.Pending, pending.Status);
        Assert.Null(pending.ConfirmedAt);
        Assert.Equal(pending.CreatedAt, pending.ConfirmationSentAt);
        var active = Assert.Single(records.Subscriptions, s => s.Newsletter.Slug == TestData.SingleOptIn);
        Assert.Equal(SubscriptionStatus.Active, active.Status);
        Assert.Equal(active.CreatedAt, active.ConfirmedAt);
        Assert.Null(active.ConfirmationSentAt);
        Assert.Equal(active.ConfirmedAt, Assert.Single(records.Consents, c => c.SubscriptionId == active.Id).ConfirmedAt);

        // One confirmation, for the double opt-in newsletter, whose link confirms exactly that opt-in.
        var mail = Assert.Single(records.Mail);
        Assert.Equal("confirm", mail.Kind);
        await SignupHttp.ConfirmAsync(client, SignupHttp.ConfirmLink(await app.Smtp.WaitForAsync(email)));
        records = await AddressRecords.LoadAsync(app.Server, email);
        Assert.All(records.Subscriptions, s => Assert.Equal(SubscriptionStatus.Active, s.Status));
        Assert.NotNull(Assert.Single(records.Consents, c => c.SubscriptionId == pending.Id).ConfirmedAt);
    }

    [Fact]
    public async Task A_database_failure_after_the_subscriber_is_written_leaves_nothing()
    {
        var email = TestData.NewEmail("refused-mail");
        await app.Server.QueryAsync(db => db.Database.ExecuteSqlRawAsync(app.Kind == DatabaseKind.Postgres
            ? """
              CREATE FUNCTION test_refuse_mail() RETURNS trigger LANGUAGE plpgsql AS $$
              BEGIN IF NEW."ToAddress" LIKE 'refused-mail.%' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$;
              CREATE TRIGGER test_refuse_mail BEFORE INSERT ON "OutboundEmails" FOR EACH ROW EXECUTE FUNCTION test_refuse_mail();
              """
            : """
              CREATE TRIGGER test_refuse_mail BEFORE INSERT ON "OutboundEmails" WHEN NEW."ToAddress" LIKE 'refused-mail.%'
              BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;
              """));
        try
        {
            using var client = app.Server.CreateClient();
            using var api = await SignupHttp.PostApiAsync(client, new { email, newsletters = new[] { TestData.Default } });
            Assert.Equal(HttpStatusCode.ServiceUnavailable, api.StatusCode);
            Assert.True((await AddressRecords.LoadAsync(app.Server, email)).IsEmpty);
        }
        finally
        {
            await app.Server.QueryAsync(db => db.Database.ExecuteSqlRawAsync(app.Kind == DatabaseKind.Postgres
                ? """DROP TRIGGER test_refuse_mail ON "OutboundEmails"; DROP FUNCTION test_refuse_mail();"""
                : "DROP TRIGGER test_refuse_mail"));
        }

        Assert.Equal("success", await SignupHttp.SignUpAsync(app.Server.CreateClient(), email));
        var records = await AddressRecords.LoadAsync(app.Server, email);
        Assert.Single(records.Subscribers);
        Assert.Single(records.Subscriptions);
        Assert.Single(records.Consents);
        Assert.Single(records.Mail);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class NewAddressTestsOnSqlite(SqliteApp app) : NewAddressTests(app);

[Collection(PostgresCollection.Name)]
public sealed class NewAddressTestsOnPostgres(PostgresApp app) : NewAddressTests(app)
{
    /// <summary>The sign-up statement names the consents' sequence instead of looking it up (SignupSql).</summary>
    [Fact]
    public async Task The_sign_up_statement_names_the_sequence_of_the_consents_ids()
    {
        var sequence = await app.Server.QueryAsync(db => db.Database
            .SqlQueryRaw<string>("SELECT pg_get_serial_sequence('\"Consents\"', 'Id') AS \"Value\"").SingleAsync());
        Assert.Equal("\"Consents_Id_seq\"", sequence.Split('.')[^1]);
    }
}
