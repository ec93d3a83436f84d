using System.Net;
using Broadsheet.Mail;
using Broadsheet.Signup;
using Broadsheet.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Broadsheet.Tests.Signup;

/// <summary>
/// Concurrent new-address sign-ups share transactions (Signup/WriteBatcher.cs): each still gets all its records and
/// its confirmation, identical addresses in one transaction store one of everything, and a failing member of a shared
/// transaction leaves nothing of any of them.
/// </summary>
public abstract class SharedTransactionTests(AppFixture app)
{
    private NewSignupWriter Writer => app.Server.Services.GetRequiredService<NewSignupWriter>();

    [Fact]
    public async Task Sixty_four_concurrent_new_sign_ups_each_store_one_of_everything_and_get_their_confirmation()
    {
        var emails = Enumerable.Range(0, 64).Select(_ => TestData.NewEmail("crowd")).ToList();
        using var client = app.Server.CreateClient();
        var statuses = await Task.WhenAll(emails.Select(async email =>
        {
            using var response = await SignupHttp.PostApiAsync(client, new { email, newsletters = new[] { TestData.Default } });
            return response.StatusCode;
        }));
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));

        foreach (var email in emails)
        {
            var records = await AddressRecords.LoadAsync(app.Server, email);
            var subscriber = Assert.Single(records.Subscribers);
            var subscription = Assert.Single(records.Subscriptions);
            var consent = Assert.Single(records.Consents);
            Assert.Equal(consent.Id, subscription.CurrentConsentId);
            var mail = Assert.Single(records.Mail);
            Assert.Equal("confirm", mail.Kind);
            Assert.Equal(subscriber.Id, mail.SubscriberId);
        }
        foreach (var email in emails)
            SignupHttp.ConfirmLink(await app.Smtp.WaitForAsync(email));
    }

    [Fact]
    public async Task The_second_of_two_identical_addresses_in_one_transaction_writes_nothing()
    {
        var email = TestData.NewEmail("twice");
        var first = await NewSignupAsync(email);
        var second = await NewSignupAsync(email);

        var stored = await app.Server.QueryAsync(db => Writer.WriteAsync(db, [first, second], CancellationToken.None));

        Assert.Equal([true, false], stored);
        var records = await AddressRecords.LoadAsync(app.Server, email);
        Assert.Single(records.Subscribers);
        Assert.Equal(first.OptIns[0].Nonce, Assert.Single(records.Consents).Nonce);
        Assert.Single(records.Subscriptions);
        Assert.Equal(first.Mail[0].Id, Assert.Single(records.Mail).Id);
    }

    [Fact]
    public async Task Each_member_of_a_mixed_batch_gets_its_own_rows_and_outcome()
    {
        var singleOptIn = await app.Server.QueryAsync(db => db.Newsletters.Where(n => n.Slug == TestData.SingleOptIn).Select(n => n.Id).FirstAsync());
        var twoNewsletters = await NewSignupAsync(TestData.NewEmail("mixed-two"));
        twoNewsletters = twoNewsletters with { OptIns = [.. twoNewsletters.OptIns, new NewOptIn(singleOptIn, Pending: false, Guid.NewGuid().ToString("N"))] };
        var known = await NewSignupAsync(TestData.NewEmail("mixed-known"));
        Assert.True(await app.Server.QueryAsync(db => Writer.WriteAsync(db, known, CancellationToken.None)));
        var knownAgain = await NewSignupAsync(known.Email);
        var suppressed = await NewSignupAsync(TestData.NewEmail("mixed-suppressed"));
        await app.Server.QueryAsync(db =>
        {
            db.Suppressions.Add(new Broadsheet.Subscribers.Suppression { AddressHash = suppressed.AddressHash, CreatedAt = DateTime.UtcNow });
            return db.SaveChangesAsync();
        });
        var plain = await NewSignupAsync(TestData.NewEmail("mixed-plain"));
        var repeated = await NewSignupAsync(twoNewsletters.Email);
        var noMail = (await NewSignupAsync(TestData.NewEmail("mixed-nomail"))) with { Mail = [] };
        NewSignup[] batch = [twoNewsletters, knownAgain, suppressed, plain, repeated, noMail];

        var stored = await app.Server.QueryAsync(db => Writer.WriteAsync(db, batch, CancellationToken.None));

        Assert.Equal([true, false, false, true, false, true], stored);
        foreach (var signup in new[] { twoNewsletters, plain, noMail })
        {
            var records = await AddressRecords.LoadAsync(app.Server, signup.Email);
            var subscriber = Assert.Single(records.Subscribers);
            Assert.Equal(signup.OptIns.Count, records.Subscriptions.Count);
            foreach (var optIn in signup.OptIns)
            {
                var consent = Assert.Single(records.Consents, c => c.Nonce == optIn.Nonce);
                var subscription = Assert.Single(records.Subscriptions, x => x.Id == consent.SubscriptionId);
                Assert.Equal(optIn.NewsletterId, subscription.NewsletterId);
                Assert.Equal(consent.Id, subscription.CurrentConsentId);
                Assert.Equal(subscriber.Id, consent.SubscriberId);
                if (optIn.Pending) Assert.Null(consent.ConfirmedAt);
                else Assert.Equal(signup.Now, consent.ConfirmedAt!.Value, TimeSpan.FromMilliseconds(1));
            }
            Assert.Equal(signup.Mail.Select(m => m.Id), records.Mail.Select(m => m.Id));
            Assert.All(signup.Mail, m => Assert.Equal(subscriber.Id, m.SubscriberId));
            Assert.All(records.Mail, m => Assert.Equal(signup.Email, m.ToAddress));
        }
        Assert.Single((await AddressRecords.LoadAsync(app.Server, known.Email)).Consents);
        Assert.True((await AddressRecords.LoadAsync(app.Server, suppressed.Email)).IsEmpty);
    }

    [Fact]
    public async Task A_failing_member_rolls_back_the_whole_shared_transaction_and_the_service_then_writes_each_on_its_own()
    {
        var good = await NewSignupAsync(TestData.NewEmail("batch-good"));
        var refused = await NewSignupAsync(TestData.NewEmail("batch-refused"));
        var later = await NewSignupAsync(TestData.NewEmail("batch-later"));
        await RefuseMailToAsync("batch-refused.%");
        try
        {
            await Assert.ThrowsAnyAsync<Exception>(() =>
                app.Server.QueryAsync(db => Writer.WriteAsync(db, [good, refused, later], CancellationToken.None)));
            foreach (var s in new[] { good, refused, later })
                Assert.True((await AddressRecords.LoadAsync(app.Server, s.Email)).IsEmpty);

            // Through the batcher the same three end each with their own outcome, however they are grouped.
            var batcher = new WriteBatcher<NewSignup>(maxInFlight: 1, maxBatch: 64);
            var outcomes = await Task.WhenAll(new[] { good, refused, later }.Select(async s =>
            {
                try
                {
                    return await app.Server.QueryAsync(db => batcher.WriteAsync(s,
                        batch => Writer.WriteAsync(db, batch, CancellationToken.None),
                        () => Writer.WriteAsync(db, s, CancellationToken.None))) ? "stored" : "not stored";
                }
                catch (Exception)
                {
                    return "failed";
                }
            }));
            Assert.Equal(["stored", "failed", "stored"], outcomes);
        }
        finally
        {
            await AllowMailAsync();
        }
        Assert.Single((await AddressRecords.LoadAsync(app.Server, good.Email)).Subscriptions);
        Assert.True((await AddressRecords.LoadAsync(app.Server, refused.Email)).IsEmpty);
        Assert.Single((await AddressRecords.LoadAsync(app.Server, later.Email)).Consents);
    }

    [Fact]
    public async Task Sign_ups_queued_behind_busy_writes_share_one_transaction_and_a_refused_one_fails_alone()
    {
        using var client = app.Server.CreateClient();
        async Task<HttpStatusCode> PostAsync(string email)
        {
            using var response = await SignupHttp.PostApiAsync(client, new { email, newsletters = new[] { TestData.Default } });
            return response.StatusCode;
        }

        // All good: the queued sign-ups are written in one transaction (on PostgreSQL their rows share a transaction id).
        var queued = Enumerable.Range(0, 4).Select(_ => TestData.NewEmail("queued")).ToList();
        var statuses = await BehindBusyWritesAsync(() => Task.WhenAll(queued.Select(PostAsync)));
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        if (app.Kind == DatabaseKind.Postgres)
        {
            var keys = queued.Select(EmailAddressRule.Key).ToArray();
            var transactions = await app.Server.QueryAsync(db => db.Database
                .SqlQueryRaw<string>("""SELECT xmin::text AS "Value" FROM "Subscribers" WHERE "NormalizedEmail" = ANY({0})""", new object[] { keys }).ToListAsync());
            Assert.Equal(4, transactions.Count);
            Assert.Single(transactions.Distinct());
        }

        // One refused by the database among them: it alone fails, the others are stored.
        var others = Enumerable.Range(0, 3).Select(_ => TestData.NewEmail("queued")).ToList();
        var refused = TestData.NewEmail("queued-refused");
        await RefuseMailToAsync("queued-refused.%");
        try
        {
            statuses = await BehindBusyWritesAsync(() => Task.WhenAll(others.Prepend(refused).Select(PostAsync)));
        }
        finally
        {
            await AllowMailAsync();
        }
        Assert.Equal(HttpStatusCode.ServiceUnavailable, statuses[0]);
        Assert.All(statuses.Skip(1), s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.True((await AddressRecords.LoadAsync(app.Server, refused)).IsEmpty);
        foreach (var email in queued.Concat(others))
        {
            var records = await AddressRecords.LoadAsync(app.Server, email);
            Assert.Single(records.Subscribers);
            Assert.Single(records.Subscriptions);
            Assert.Single(records.Consents);
            Assert.Single(records.Mail);
        }
    }

    /// <summary>
    /// Runs <paramref name="signUps"/> while every write slot is taken by a sign-up held up by a lock on the database, so
    /// they queue; then lets the held ones finish. The queued sign-ups are then written as one batch.
    /// </summary>
    private async Task<T> BehindBusyWritesAsync<T>(Func<Task<T>> signUps)
    {
        var connectionString = await app.Server.QueryAsync(db => Task.FromResult(db.Database.GetConnectionString()!));
        await using System.Data.Common.DbConnection connection = app.Kind == DatabaseKind.Postgres
            ? new Npgsql.NpgsqlConnection(connectionString)
            : new Microsoft.Data.Sqlite.SqliteConnection(connectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            // PostgreSQL: inserts into Subscribers wait, reads go on. SQLite: a dummy write takes the database's write lock.
            command.CommandText = app.Kind == DatabaseKind.Postgres
                ? """LOCK TABLE "Subscribers" IN EXCLUSIVE MODE"""
                : """DELETE FROM "Subscribers" WHERE "Id" = -1""";
            await command.ExecuteNonQueryAsync();
        }

        using var client = app.Server.CreateClient();
        var held = Enumerable.Range(0, app.Kind == DatabaseKind.Postgres ? 2 : 1) // the batcher's write slots
            .Select(_ => SignupHttp.PostApiAsync(client, new { email = TestData.NewEmail("held"), newsletters = new[] { TestData.Default } })).ToList();
        await Task.Delay(700);
        var queued = signUps();
        await Task.Delay(700);
        Assert.All(held, h => Assert.False(h.IsCompleted));
        Assert.False(queued.IsCompleted);
        await transaction.RollbackAsync();
        foreach (var response in await Task.WhenAll(held))
            using (response) Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await queued;
    }

    /// <summary>A new-address sign-up to the default newsletter with one confirmation, as the service would build it.</summary>
    private async Task<NewSignup> NewSignupAsync(string email)
    {
        var newsletterId = await app.Server.QueryAsync(db => db.Newsletters.Where(n => n.Slug == TestData.Default).Select(n => n.Id).FirstAsync());
        var now = DateTime.UtcNow;
        var mail = new OutboundEmail
        {
            Kind = "confirm", ToAddress = email, Subject = "Confirm", HtmlBody = "<p>Confirm</p>", TextBody = "Confirm",
            MessageId = $"<{Guid.NewGuid():N}@test>", CreatedAt = now, NextAttemptAt = now,
        };
        return new NewSignup(email, EmailAddressRule.Key(email), Guid.NewGuid().ToString("N"), null, null, "wording", null, now,
            [new NewOptIn(newsletterId, Pending: true, Guid.NewGuid().ToString("N"))], [mail]);
    }

    private Task RefuseMailToAsync(string pattern) => app.Server.QueryAsync(db => db.Database.ExecuteSqlRawAsync(app.Kind == DatabaseKind.Postgres
        ? $$"""
          CREATE FUNCTION test_refuse_batch_mail() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN IF NEW."ToAddress" LIKE '{{pattern}}' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$;
          CREATE TRIGGER test_refuse_batch_mail BEFORE INSERT ON "OutboundEmails" FOR EACH ROW EXECUTE FUNCTION test_refuse_batch_mail();
          """
        : $"""
          CREATE TRIGGER test_refuse_batch_mail BEFORE INSERT ON "OutboundEmails" WHEN NEW."ToAddress" LIKE '{pattern}'
          BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;
          """));

    private Task AllowMailAsync() => app.Server.QueryAsync(db => db.Database.ExecuteSqlRawAsync(app.Kind == DatabaseKind.Postgres
        ? """DROP TRIGGER test_refuse_batch_mail ON "OutboundEmails"; DROP FUNCTION test_refuse_batch_mail();"""
        : "DROP TRIGGER test_refuse_batch_mail"));
}

[Collection(SqliteCollection.Name)]
public sealed class SharedTransactionTestsOnSqlite(SqliteApp app) : SharedTransactionTests(app);

[Collection(PostgresCollection.Name)]
public sealed class SharedTransactionTestsOnPostgres(PostgresApp app) : SharedTransactionTests(app);
