using System.Buffers;
using System.Security.Cryptography;

namespace Broadsheet.Delivery;

/// <summary>
/// The working memory of one sending connection, reused for every message it sends: the message is built into these
/// buffers and written to the relay before the next one is built, so a send allocates no message-sized memory.
/// </summary>
public sealed class MessageBuffers : IDisposable
{
    public ArrayBufferWriter<byte> Body { get; } = new(64 * 1024);

    /// <summary>The whole message (headers and body) when it is sent as bytes.</summary>
    public ArrayBufferWriter<byte> Message { get; } = new(64 * 1024);
    public ArrayBufferWriter<byte> Scratch { get; } = new(4 * 1024);
    public IncrementalHash BodyHash { get; } = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public void Reset() => Body.ResetWrittenCount();

    public void Dispose() => BodyHash.Dispose();
}
