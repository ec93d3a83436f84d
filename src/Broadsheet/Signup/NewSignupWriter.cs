using Broadsheet.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Broadsheet.Signup;

/// <summary>
/// Writes new-address sign-ups (<see cref="SignupSql"/>): on PostgreSQL through the context's pooled connection (once
/// more on a fresh one if that one was dead), on SQLite through one connection kept open for the purpose, under the
/// write gate.
/// </summary>
/// <remarks>
/// SQLite compiles a statement when a command first runs, and a pooled connection's page cache is emptied whenever
/// another connection has written since its last use. A connection of our own keeps both: its four statements stay
/// prepared across batches, and the pages the next batch writes (the tables' and indexes' right edges) stay cached.
/// </remarks>
public sealed class NewSignupWriter(SqliteWriteGate gate) : IDisposable
{
    private SignupSql.SqliteSignupCommands? _sqlite; // used only under the gate

    /// <summary>
    /// Stores <paramref name="signup"/> if its address is new and not suppressed, and sets the ids of its mail; false
    /// (nothing written) otherwise. Mail goes in with whatever claim it carries.
    /// </summary>
    public async Task<bool> WriteAsync(BroadsheetDb db, NewSignup signup, CancellationToken ct) => (await WriteAsync(db, [signup], ct))[0];

    /// <summary>
    /// The same for several sign-ups in one transaction, each result in order. A later sign-up sees the earlier ones'
    /// rows, so the second of two identical addresses reports false. Any failure rolls back all of them.
    /// </summary>
    public async Task<IReadOnlyList<bool>> WriteAsync(BroadsheetDb db, IReadOnlyList<NewSignup> signups, CancellationToken ct)
    {
        if (db.OnPostgres)
        {
            try
            {
                return await SignupSql.InsertOnPostgresAsync(db, signups, ct);
            }
            catch (NpgsqlException ex) when (ex.IsTransient && !ct.IsCancellationRequested)
            {
                // Npgsql does not test a pooled connection before handing it out, so after the database was away the
                // idle ones fail on first use: a reader's first sign-up after an outage failed. Empty the pool and go
                // once more. Safe to repeat: if the first statement did commit, this one finds the address and
                // writes nothing, and the sign-up takes the general path, which sees what was stored.
                NpgsqlConnection.ClearPool((NpgsqlConnection)db.Database.GetDbConnection());
                return await SignupSql.InsertOnPostgresAsync(db, signups, ct);
            }
        }
        using (await gate.EnterAsync(db, ct))
        {
            var commands = _sqlite ??= new SignupSql.SqliteSignupCommands(db.Database.GetConnectionString()!);
            try
            {
                return commands.Write(signups);
            }
            catch
            {
                // Whatever went wrong, the next write starts from a fresh connection.
                _sqlite = null;
                commands.Dispose();
                throw;
            }
        }
    }

    public void Dispose() => _sqlite?.Dispose();
}
