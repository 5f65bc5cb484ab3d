using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Huddle.Media.Dtls;

/// <summary>
/// A certificate fingerprint as SDP carries it (RFC 8122 §5): a hash function name and the digest, written
/// as upper-case hex pairs joined by colons.
/// </summary>
public sealed class DtlsFingerprint : IEquatable<DtlsFingerprint>
{
    private DtlsFingerprint(string algorithm, byte[] digest)
    {
        Algorithm = algorithm;
        Digest = digest;
    }

    /// <summary>Lower-case hash name: sha-1, sha-256, sha-384 or sha-512.</summary>
    public string Algorithm { get; }

    public byte[] Digest { get; }

    /// <summary>The value part of <c>a=fingerprint:</c>, e.g. <c>sha-256 AB:CD:…</c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder(Algorithm.Length + 1 + Digest.Length * 3);
        text.Append(Algorithm).Append(' ');
        for (int i = 0; i < Digest.Length; i++)
        {
            if (i > 0) text.Append(':');
            text.Append(Digest[i].ToString("X2", CultureInfo.InvariantCulture));
        }
        return text.ToString();
    }

    /// <summary>Hashes a DER certificate with the named function.</summary>
    public static DtlsFingerprint Compute(string algorithm, ReadOnlySpan<byte> der)
    {
        string name = algorithm.ToLowerInvariant();
        byte[] digest = name switch
        {
            "sha-1" => SHA1.HashData(der),
            "sha-256" => SHA256.HashData(der),
            "sha-384" => SHA384.HashData(der),
            "sha-512" => SHA512.HashData(der),
            _ => throw new ArgumentException($"unsupported fingerprint hash {algorithm}", nameof(algorithm)),
        };
        return new DtlsFingerprint(name, digest);
    }

    /// <summary>Reads <c>sha-256 AB:CD:…</c>; false for an unknown hash or a digest of the wrong size.</summary>
    public static bool TryParse(string? text, out DtlsFingerprint? fingerprint)
    {
        fingerprint = null;
        if (text is null || text.Length > 200) return false;
        string[] parts = text.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2) return false;
        string algorithm = parts[0].ToLowerInvariant();
        int size = algorithm switch { "sha-1" => 20, "sha-256" => 32, "sha-384" => 48, "sha-512" => 64, _ => 0 };
        if (size == 0) return false;
        string[] pairs = parts[1].Split(':');
        if (pairs.Length != size) return false;
        var digest = new byte[size];
        for (int i = 0; i < size; i++)
        {
            if (pairs[i].Length != 2 || !byte.TryParse(pairs[i], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out digest[i])) return false;
        }
        fingerprint = new DtlsFingerprint(algorithm, digest);
        return true;
    }

    /// <summary>Whether <paramref name="der"/> is the certificate this fingerprint names.</summary>
    public bool Matches(ReadOnlySpan<byte> der)
    {
        DtlsFingerprint actual = Compute(Algorithm, der);
        return CryptographicOperations.FixedTimeEquals(actual.Digest, Digest);
    }

    public bool Equals(DtlsFingerprint? other) =>
        other is not null && other.Algorithm == Algorithm && other.Digest.AsSpan().SequenceEqual(Digest);

    public override bool Equals(object? obj) => Equals(obj as DtlsFingerprint);

    public override int GetHashCode() => HashCode.Combine(Algorithm, Digest.Length > 0 ? Digest[0] : 0);
}
