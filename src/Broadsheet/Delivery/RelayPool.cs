using Broadsheet.Mail;

namespace Broadsheet.Delivery;

/// <summary>
/// The relays of one node, used in turn: each new connection goes to the next relay, and a relay that could not be
/// connected to is left out for <see cref="DeliveryOptions.RelayRetryAfter"/>. Counts the open connections, so
/// that a connection failing while others still work does not pause a send.
/// </summary>
public sealed class RelayPool(IReadOnlyList<IMailTransport> transports, TimeSpan retryAfter, ILogger logger)
{
    private sealed class Relay(IMailTransport transport)
    {
        public IMailTransport Transport { get; } = transport;
        public DateTime RestingUntil;
        public string? LastError;
    }

    private readonly Relay[] _relays = transports.Select(t => new Relay(t)).ToArray();
    private int _turn = -1;
    private int _open;

    /// <summary>The longest command timeout of any relay: a claim must have at least this much time left to send from it.</summary>
    public TimeSpan LongestTimeout { get; } = transports.Max(t => t.Timeout);

    public bool AnyOpen => Volatile.Read(ref _open) > 0;

    /// <summary>Opens a connection (blocking) to the next relay that is not resting; throws <see cref="NoRelayException"/> naming each relay and its error when none answers.</summary>
    public Connection Open(CancellationToken ct)
    {
        var first = Interlocked.Increment(ref _turn);
        var errors = new List<string>();
        for (var i = 0; i < _relays.Length; i++)
        {
            var relay = _relays[(int)((uint)(first + i) % (uint)_relays.Length)];
            var now = DateTime.UtcNow;
            if (relay.RestingUntil > now)
            {
                errors.Add($"{relay.Transport.Name}: {relay.LastError}");
                continue;
            }
            try
            {
                var session = relay.Transport.Open(ct);
                Interlocked.Increment(ref _open);
                return new Connection(this, session, relay.Transport.Name);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                relay.LastError = SmtpFailures.Describe(ex);
                relay.RestingUntil = DateTime.UtcNow + retryAfter;
                errors.Add($"{relay.Transport.Name}: {relay.LastError}");
                logger.LogWarning("Relay {Relay} could not be reached; leaving it out for {Rest}: {Error}", relay.Transport.Name, retryAfter, relay.LastError);
            }
        }
        throw new NoRelayException(string.Join("; ", errors));
    }

    /// <summary>Forgets which relays failed, so the next connection tries them all again (after a paused send is resumed).</summary>
    public void Reset()
    {
        foreach (var relay in _relays) relay.RestingUntil = default;
    }

    /// <summary>One open connection of the pool; disposing it closes the connection.</summary>
    public sealed class Connection(RelayPool pool, IMailSession session, string relay) : IDisposable
    {
        private int _closed;
        public IMailSession Session { get; } = session;
        public string Relay { get; } = relay;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0) return;
            Interlocked.Decrement(ref pool._open);
            Session.Close();
        }
    }
}

/// <summary>No relay could be connected to; the message lists each relay with its error.</summary>
public sealed class NoRelayException(string errors) : Exception(errors);
