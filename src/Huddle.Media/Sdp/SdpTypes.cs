namespace Huddle.Media.Sdp;

/// <summary>Media direction attribute (RFC 8866 §6.7). Absent means sendrecv.</summary>
public enum SdpDirection
{
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

/// <summary>DTLS role attribute <c>a=setup</c> (RFC 4145, RFC 8842).</summary>
public enum SdpSetup
{
    ActPass,
    Active,
    Passive,
    HoldConn,
}

public enum SdpMediaKind
{
    Other,
    Audio,
    Video,
    Application,
}

/// <summary>Direction of an <c>a=rid</c> line (RFC 8851).</summary>
public enum SdpRidDirection
{
    Send,
    Recv,
}

public static class SdpDirectionExtensions
{
    public static bool Sends(this SdpDirection d) => d is SdpDirection.SendRecv or SdpDirection.SendOnly;

    public static bool Receives(this SdpDirection d) => d is SdpDirection.SendRecv or SdpDirection.RecvOnly;

    public static SdpDirection FromFlags(bool send, bool receive) => (send, receive) switch
    {
        (true, true) => SdpDirection.SendRecv,
        (true, false) => SdpDirection.SendOnly,
        (false, true) => SdpDirection.RecvOnly,
        _ => SdpDirection.Inactive,
    };

    /// <summary>The same direction seen from the other side: sendonly becomes recvonly.</summary>
    public static SdpDirection Reverse(this SdpDirection d) => FromFlags(d.Receives(), d.Sends());

    public static string ToSdpString(this SdpDirection d) => d switch
    {
        SdpDirection.SendOnly => "sendonly",
        SdpDirection.RecvOnly => "recvonly",
        SdpDirection.Inactive => "inactive",
        _ => "sendrecv",
    };

    public static string ToSdpString(this SdpSetup s) => s switch
    {
        SdpSetup.Active => "active",
        SdpSetup.Passive => "passive",
        SdpSetup.HoldConn => "holdconn",
        _ => "actpass",
    };

    internal static bool TryParseDirection(string s, out SdpDirection d)
    {
        switch (s)
        {
            case "sendrecv": d = SdpDirection.SendRecv; return true;
            case "sendonly": d = SdpDirection.SendOnly; return true;
            case "recvonly": d = SdpDirection.RecvOnly; return true;
            case "inactive": d = SdpDirection.Inactive; return true;
            default: d = default; return false;
        }
    }

    internal static bool TryParseSetup(string s, out SdpSetup setup)
    {
        switch (s.ToLowerInvariant())
        {
            case "actpass": setup = SdpSetup.ActPass; return true;
            case "active": setup = SdpSetup.Active; return true;
            case "passive": setup = SdpSetup.Passive; return true;
            case "holdconn": setup = SdpSetup.HoldConn; return true;
            default: setup = default; return false;
        }
    }
}

/// <summary><c>o=&lt;username&gt; &lt;sess-id&gt; &lt;sess-version&gt; &lt;nettype&gt; &lt;addrtype&gt; &lt;address&gt;</c></summary>
public sealed record SdpOrigin(
    string Username,
    string SessionId,
    ulong SessionVersion,
    string NetworkType = "IN",
    string AddressType = "IP4",
    string Address = "127.0.0.1");

/// <summary><c>t=&lt;start&gt; &lt;stop&gt;</c>; WebRTC always uses <c>t=0 0</c>.</summary>
public sealed record SdpTiming(ulong Start, ulong Stop);

/// <summary><c>c=&lt;nettype&gt; &lt;addrtype&gt; &lt;address&gt;</c></summary>
public sealed record SdpConnection(string NetworkType, string AddressType, string Address)
{
    public static SdpConnection Ipv4Any { get; } = new("IN", "IP4", "0.0.0.0");
}

/// <summary><c>b=&lt;type&gt;:&lt;value&gt;</c>, for example <c>b=AS:30</c>.</summary>
public sealed record SdpBandwidth(string Type, long Value);

/// <summary>A line of a type the model keeps verbatim (i=, u=, e=, p=, r=, z=, k=, extra t=).</summary>
public sealed record SdpLine(char Type, string Value);

/// <summary>An attribute the model does not interpret, kept as it was: <c>a=name</c> or <c>a=name:value</c>.</summary>
public sealed record SdpAttribute(string Name, string? Value = null)
{
    public override string ToString() => Value is null ? "a=" + Name : "a=" + Name + ":" + Value;
}

/// <summary><c>a=group:&lt;semantics&gt; &lt;mid&gt;...</c> (RFC 5888), BUNDLE (RFC 9143).</summary>
public sealed record SdpGroup(string Semantics, ValueList<string> Mids)
{
    public bool IsBundle => string.Equals(Semantics, "BUNDLE", StringComparison.OrdinalIgnoreCase);
}

/// <summary><c>a=msid-semantic: WMS [ids]</c></summary>
public sealed record SdpMsidSemantic(string Semantic, ValueList<string> Ids);

/// <summary><c>a=extmap:&lt;id&gt;[/&lt;direction&gt;] &lt;uri&gt; [&lt;attributes&gt;]</c> (RFC 8285).</summary>
public sealed record SdpExtmap(int Id, string Uri, SdpDirection? Direction = null, string? Attributes = null);

/// <summary><c>a=msid:&lt;stream id&gt; [&lt;track id&gt;]</c> (RFC 8830). Stream id <c>-</c> means no stream.</summary>
public sealed record SdpMsid(string StreamId, string? TrackId = null)
{
    public override string ToString() => TrackId is null ? StreamId : StreamId + " " + TrackId;
}

/// <summary>One <c>a=ssrc:&lt;ssrc&gt; &lt;name&gt;[:&lt;value&gt;]</c> attribute (RFC 5576).</summary>
public sealed record SdpSsrcAttribute(string Name, string? Value = null);

/// <summary>An SSRC with all its <c>a=ssrc</c> attributes, in order of appearance.</summary>
public sealed record SdpSsrc(uint Ssrc, ValueList<SdpSsrcAttribute> Attributes)
{
    public string? Get(string name)
    {
        foreach (var a in Attributes)
        {
            if (string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase)) return a.Value;
        }
        return null;
    }

    public string? Cname => Get("cname");

    /// <summary>The legacy per-SSRC msid (<c>a=ssrc:N msid:stream track</c>), if any.</summary>
    public SdpMsid? Msid
    {
        get
        {
            var v = Get("msid");
            if (v is null) return null;
            var parts = SdpText.SplitWhitespace(v);
            return parts.Count switch
            {
                0 => null,
                1 => new SdpMsid(parts[0]),
                _ => new SdpMsid(parts[0], parts[1]),
            };
        }
    }
}

/// <summary><c>a=ssrc-group:&lt;semantics&gt; &lt;ssrc&gt;...</c>, for example FID (RTX) or SIM.</summary>
public sealed record SdpSsrcGroup(string Semantics, ValueList<uint> Ssrcs);

/// <summary>One restriction of an <c>a=rid</c> line: <c>pt=96,97</c>, <c>max-width=1280</c>.</summary>
public sealed record SdpRidRestriction(string Name, string? Value = null)
{
    public override string ToString() => Value is null ? Name : Name + "=" + Value;
}

/// <summary><c>a=rid:&lt;id&gt; send|recv [pt=..;restrictions]</c> (RFC 8851).</summary>
public sealed record SdpRid(string Id, SdpRidDirection Direction, ValueList<SdpRidRestriction> Restrictions)
{
    public SdpRid(string id, SdpRidDirection direction) : this(id, direction, ValueList<SdpRidRestriction>.Empty)
    {
    }

    public string? Get(string name)
    {
        foreach (var r in Restrictions)
        {
            if (string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase)) return r.Value;
        }
        return null;
    }

    /// <summary>The payload types of the <c>pt=</c> restriction; empty when there is none.</summary>
    public IReadOnlyList<int> PayloadTypes
    {
        get
        {
            var pt = Get("pt");
            if (pt is null) return [];
            var result = new List<int>();
            foreach (var s in pt.Split(','))
            {
                if (SdpText.TryParseInt(s.Trim(), 0, 127, out int v)) result.Add(v);
            }
            return result;
        }
    }
}

/// <summary>A rid in an <c>a=simulcast</c> list; <c>~</c> marks it paused.</summary>
public sealed record SdpSimulcastRid(string Id, bool Paused = false)
{
    public override string ToString() => Paused ? "~" + Id : Id;
}

/// <summary>One simulcast stream: its alternative rids (separated by commas).</summary>
public sealed record SdpSimulcastStream(ValueList<SdpSimulcastRid> Alternatives)
{
    public SdpSimulcastStream(string rid, bool paused = false) : this([new SdpSimulcastRid(rid, paused)])
    {
    }

    public override string ToString() => string.Join(",", Alternatives);
}

/// <summary><c>a=simulcast:send h;m;l recv x</c> (RFC 8853).</summary>
public sealed record SdpSimulcast(ValueList<SdpSimulcastStream> Send, ValueList<SdpSimulcastStream> Recv)
{
    public IEnumerable<string> SendRids => Send.SelectMany(s => s.Alternatives).Select(a => a.Id);

    public IEnumerable<string> RecvRids => Recv.SelectMany(s => s.Alternatives).Select(a => a.Id);

    public override string ToString()
    {
        var parts = new List<string>(2);
        if (Send.Count > 0) parts.Add("send " + string.Join(";", Send));
        if (Recv.Count > 0) parts.Add("recv " + string.Join(";", Recv));
        return string.Join(" ", parts);
    }
}

/// <summary>
/// A payload type of an RTP m= section: its <c>a=rtpmap</c>, <c>a=fmtp</c> and <c>a=rtcp-fb</c> lines.
/// </summary>
public sealed record SdpCodec(int PayloadType, string Name, int ClockRate, int? Channels = null)
{
    public SdpFmtp? Fmtp { get; init; }

    /// <summary>The <c>a=rtcp-fb</c> values, for example <c>nack</c>, <c>nack pli</c>, <c>transport-cc</c>.</summary>
    public ValueList<string> RtcpFeedback { get; init; } = ValueList<string>.Empty;

    public bool IsRtx => string.Equals(Name, "rtx", StringComparison.OrdinalIgnoreCase);

    /// <summary>For rtx (and red/ulpfec with apt), the associated payload type from <c>apt=</c>.</summary>
    public int? AssociatedPayloadType =>
        Fmtp is not null && Fmtp.TryGetValue("apt", out var apt) && SdpText.TryParseInt(apt, 0, 127, out int v) ? v : null;

    public bool NameIs(string name) => string.Equals(Name, name, StringComparison.OrdinalIgnoreCase);

    public string RtpmapValue => Channels is int c
        ? $"{PayloadType} {Name}/{ClockRate}/{c}"
        : $"{PayloadType} {Name}/{ClockRate}";
}
