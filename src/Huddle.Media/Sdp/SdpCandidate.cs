using System.Text;

namespace Huddle.Media.Sdp;

/// <summary>
/// An ICE candidate (RFC 8839 §5.1):
/// <c>candidate:&lt;foundation&gt; &lt;component&gt; &lt;transport&gt; &lt;priority&gt; &lt;address&gt; &lt;port&gt; typ &lt;type&gt; [raddr &lt;a&gt;] [rport &lt;p&gt;] *(&lt;name&gt; &lt;value&gt;)</c>.
/// <see cref="Raw"/> is the text after <c>candidate:</c> exactly as received (or as built); the other
/// properties are read from it. Two candidates are equal when their raw text is.
/// </summary>
public sealed class SdpCandidate : IEquatable<SdpCandidate>
{
    private SdpCandidate(string raw, string foundation, int component, string transport, uint priority, string address,
        int port, string type, string? relatedAddress, int? relatedPort, ValueList<KeyValuePair<string, string>> extensions)
    {
        Raw = raw;
        Foundation = foundation;
        Component = component;
        Transport = transport;
        Priority = priority;
        Address = address;
        Port = port;
        Type = type;
        RelatedAddress = relatedAddress;
        RelatedPort = relatedPort;
        Extensions = extensions;
    }

    /// <summary>The attribute value without the <c>candidate:</c> prefix.</summary>
    public string Raw { get; }

    public string Foundation { get; }

    /// <summary>1 for RTP (the only component with rtcp-mux), 2 for RTCP.</summary>
    public int Component { get; }

    /// <summary><c>udp</c> or <c>tcp</c>, as written (browsers use either case).</summary>
    public string Transport { get; }

    public uint Priority { get; }

    /// <summary>An IP address or an mDNS name (<c>….local</c>).</summary>
    public string Address { get; }

    public int Port { get; }

    /// <summary><c>host</c>, <c>srflx</c>, <c>prflx</c> or <c>relay</c>.</summary>
    public string Type { get; }

    public string? RelatedAddress { get; }

    public int? RelatedPort { get; }

    /// <summary>Extension attributes in order: <c>generation 0</c>, <c>tcptype active</c>, <c>ufrag …</c>, <c>network-id 1</c>.</summary>
    public ValueList<KeyValuePair<string, string>> Extensions { get; }

    public bool IsUdp => string.Equals(Transport, "udp", StringComparison.OrdinalIgnoreCase);

    public string? GetExtension(string name)
    {
        foreach (var e in Extensions)
        {
            if (string.Equals(e.Key, name, StringComparison.OrdinalIgnoreCase)) return e.Value;
        }
        return null;
    }

    /// <summary>RFC 8445 §5.1.2.1 priority: (2^24)·type preference + (2^8)·local preference + (256 − component).</summary>
    public static uint ComputePriority(int typePreference, int localPreference, int component) =>
        (uint)(typePreference & 0x7e) << 24 | (uint)(localPreference & 0xffff) << 8 | (uint)(256 - Math.Clamp(component, 1, 256));

    /// <summary>A host candidate for component 1, as an ICE-lite server announces its sockets.</summary>
    public static SdpCandidate Host(string address, int port, uint? priority = null, string foundation = "1",
        string transport = "udp") =>
        Create(foundation, 1, transport, priority ?? ComputePriority(126, 65535, 1), address, port, "host");

    /// <summary>Builds a candidate from its fields; throws <see cref="ArgumentException"/> on values that cannot be written.</summary>
    public static SdpCandidate Create(string foundation, int component, string transport, uint priority, string address,
        int port, string type, string? relatedAddress = null, int? relatedPort = null,
        IEnumerable<KeyValuePair<string, string>>? extensions = null)
    {
        if (foundation.Length > 32 || !SdpText.IsVisible(foundation)) throw new ArgumentException("Invalid foundation", nameof(foundation));
        if (component is < 1 or > 256) throw new ArgumentOutOfRangeException(nameof(component));
        SdpText.RequireToken(transport, nameof(transport));
        SdpText.RequireVisible(address, nameof(address));
        if (port is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(port));
        SdpText.RequireToken(type, nameof(type));
        if (relatedAddress is not null) SdpText.RequireVisible(relatedAddress, nameof(relatedAddress));
        if (relatedPort is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(relatedPort));
        var ext = (extensions ?? []).ToValueList();
        foreach (var e in ext)
        {
            SdpText.RequireVisible(e.Key, nameof(extensions));
            SdpText.RequireVisible(e.Value, nameof(extensions));
        }

        var sb = new StringBuilder();
        sb.Append(foundation).Append(' ').Append(SdpText.Str(component)).Append(' ').Append(transport).Append(' ')
            .Append(SdpText.Str(priority)).Append(' ').Append(address).Append(' ').Append(SdpText.Str(port))
            .Append(" typ ").Append(type);
        if (relatedAddress is not null) sb.Append(" raddr ").Append(relatedAddress);
        if (relatedPort is int rp) sb.Append(" rport ").Append(SdpText.Str(rp));
        foreach (var e in ext) sb.Append(' ').Append(e.Key).Append(' ').Append(e.Value);
        return new SdpCandidate(sb.ToString(), foundation, component, transport, priority, address, port, type,
            relatedAddress, relatedPort, ext);
    }

    /// <summary>
    /// Parses <c>a=candidate:…</c>, <c>candidate:…</c> (the form browsers trickle) or the bare value.
    /// Never throws.
    /// </summary>
    public static bool TryParse(string text, out SdpCandidate? candidate)
    {
        candidate = null;
        if (text is null || text.Length > 4096) return false;
        var s = text;
        if (s.StartsWith("a=", StringComparison.Ordinal)) s = s[2..];
        if (s.StartsWith("candidate:", StringComparison.OrdinalIgnoreCase)) s = s["candidate:".Length..];
        s = s.TrimEnd(' ', '\t', '\r', '\n');
        if (s.Contains('\n') || s.Contains('\r') || s.Contains('\0')) return false;

        var t = SdpText.SplitWhitespace(s);
        if (t.Count < 8 || t.Count % 2 != 0) return false;
        if (t[0].Length > 32
            || !SdpText.TryParseInt(t[1], 1, 256, out int component)
            || !SdpText.IsToken(t[2])
            || !SdpText.TryParseUInt(t[3], out uint priority)
            || !SdpText.IsVisible(t[4])
            || !SdpText.TryParseInt(t[5], 0, 65535, out int port)
            || t[6] != "typ"
            || !SdpText.IsToken(t[7]))
        {
            return false;
        }

        string? raddr = null;
        int? rport = null;
        var extensions = new List<KeyValuePair<string, string>>();
        for (int i = 8; i + 1 < t.Count; i += 2)
        {
            if (t[i] == "raddr" && raddr is null && extensions.Count == 0)
            {
                raddr = t[i + 1];
            }
            else if (t[i] == "rport" && rport is null && extensions.Count == 0)
            {
                if (!SdpText.TryParseInt(t[i + 1], 0, 65535, out int p)) return false;
                rport = p;
            }
            else
            {
                extensions.Add(new(t[i], t[i + 1]));
            }
        }

        candidate = new SdpCandidate(s, t[0], component, t[2], priority, t[4], port, t[7], raddr, rport,
            extensions.ToValueList());
        return true;
    }

    public static SdpCandidate Parse(string text) =>
        TryParse(text, out var c) ? c! : throw new FormatException($"Invalid ICE candidate '{text}'");

    public bool Equals(SdpCandidate? other) => other is not null && string.Equals(Raw, other.Raw, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as SdpCandidate);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Raw);

    public static bool operator ==(SdpCandidate? left, SdpCandidate? right) => left is null ? right is null : left.Equals(right);

    public static bool operator !=(SdpCandidate? left, SdpCandidate? right) => !(left == right);

    /// <summary><c>candidate:…</c>, the form of <c>RTCIceCandidate.candidate</c>.</summary>
    public override string ToString() => "candidate:" + Raw;
}
