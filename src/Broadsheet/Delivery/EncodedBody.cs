using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Broadsheet.Editions;

namespace Broadsheet.Delivery;

/// <summary>
/// The MIME body of an edition's messages (multipart/alternative: plain text, then HTML, both quoted-printable),
/// encoded once per edition with the per-recipient slots left open. Every piece ends at a line end, so per recipient
/// the body is the fixed pieces copied and only the slot values encoded, and its DKIM body hash is the fixed pieces'
/// canonical forms (also computed once) hashed with the slot values' own.
/// </summary>
public sealed class EncodedBody
{
    /// <summary>A piece of the body: either fixed bytes with their relaxed canonical form, or a slot of one part.</summary>
    private sealed record Piece(byte[]? Wire, byte[]? Canonical, PersonalFields? Part, int Slot);

    private readonly Piece[] _pieces;
    private readonly int _fixedLength;

    public EncodedBody(PersonalFields text, PersonalFields html)
    {
        Boundary = AlternativeLayout.NewBoundary();
        var pieces = new List<Piece>();
        var pending = new ArrayBufferWriter<byte>();
        AddPart(text, "text/plain", pieces, pending);
        AlternativeLayout.WriteBetweenParts(pending);
        AddPart(html, "text/html", pieces, pending);
        AlternativeLayout.WriteClosing(pending, Boundary);
        Flush(pieces, pending);
        _pieces = [.. pieces];
        _fixedLength = _pieces.Sum(p => p.Wire?.Length ?? 0);
    }

    /// <summary>The multipart boundary, for the top-level Content-Type header.</summary>
    public string Boundary { get; }

    /// <summary>Writes the body for one recipient; feeds its relaxed canonical form to <paramref name="bodyHash"/> when signing.</summary>
    public void Write(EditionRecipient recipient, ArrayBufferWriter<byte> output, ArrayBufferWriter<byte> scratch, IncrementalHash? bodyHash)
    {
        output.GetSpan(_fixedLength + 1024); // grow once to the whole message rather than piece by piece
        foreach (var piece in _pieces)
        {
            if (piece.Wire is not null)
            {
                output.Write(piece.Wire);
                bodyHash?.AppendData(piece.Canonical!);
                continue;
            }
            var value = piece.Part!.Value(piece.Slot, recipient);
            if (value.Length == 0) continue;
            var start = output.WrittenCount;
            scratch.ResetWrittenCount();
            var utf8 = scratch.GetSpan(Encoding.UTF8.GetMaxByteCount(value.Length));
            var count = Encoding.UTF8.GetBytes(value, utf8);
            scratch.Advance(count);
            QuotedPrintable.Encode(scratch.WrittenSpan, output);
            if (bodyHash is null) continue;
            scratch.ResetWrittenCount();
            DkimMessageSigner.RelaxedLines(output.WrittenSpan[start..], scratch);
            bodyHash.AppendData(scratch.WrittenSpan);
        }
    }

    private void AddPart(PersonalFields part, string mediaType, List<Piece> pieces, ArrayBufferWriter<byte> pending)
    {
        AlternativeLayout.WritePartHeader(pending, Boundary, mediaType);
        for (var i = 0; i < part.Literals.Count; i++)
        {
            QuotedPrintable.Encode(Encoding.UTF8.GetBytes(part.Literals[i]), pending);
            if (i == part.SlotCount) break;
            Flush(pieces, pending);
            pieces.Add(new Piece(null, null, part, i));
        }
    }

    private static void Flush(List<Piece> pieces, ArrayBufferWriter<byte> pending)
    {
        if (pending.WrittenCount == 0) return;
        var canonical = new ArrayBufferWriter<byte>(pending.WrittenCount);
        DkimMessageSigner.RelaxedLines(pending.WrittenSpan, canonical);
        pieces.Add(new Piece(pending.WrittenSpan.ToArray(), canonical.WrittenSpan.ToArray(), null, 0));
        pending.ResetWrittenCount();
    }
}
