namespace Huddle.Media.Sdp;

internal sealed class SdpFormatException(string message) : Exception(message);

/// <summary>
/// The SDP reader behind <see cref="SessionDescription.TryParse"/>. Strict about what it interprets
/// (a malformed known attribute fails the whole description, as browsers do), lenient about line
/// endings, blank lines and trailing whitespace, and keeps what it does not know.
/// </summary>
internal static class SdpParser
{
    private readonly record struct Line(int Number, char Type, string Value);

    public static SessionDescription Parse(string sdp)
    {
        if (sdp.Length > SessionDescription.MaxLength)
        {
            throw new SdpFormatException($"SDP is longer than {SessionDescription.MaxLength} characters");
        }

        var session = new List<Line>();
        var media = new List<List<Line>>();
        var current = session;
        int pos = 0, number = 0;
        while (pos < sdp.Length)
        {
            int nl = sdp.IndexOf('\n', pos);
            int end = nl < 0 ? sdp.Length : nl;
            var span = sdp.AsSpan(pos, end - pos);
            pos = nl < 0 ? sdp.Length : nl + 1;
            number++;
            if (span.EndsWith('\r')) span = span[..^1];
            span = span.TrimEnd(" \t");
            if (span.IsEmpty) continue;
            if (span.Length < 2 || span[1] != '=' || span[0] < 'a' || span[0] > 'z')
            {
                throw Fail(number, "expected <letter>=<value>");
            }
            if (span.IndexOfAny('\r', '\0') >= 0) throw Fail(number, "CR or NUL inside a line");
            if (span[0] == 'm')
            {
                if (media.Count == SessionDescription.MaxMediaSections)
                {
                    throw Fail(number, $"more than {SessionDescription.MaxMediaSections} m= sections");
                }
                current = [];
                media.Add(current);
            }
            if (current.Count == SessionDescription.MaxLinesPerSection)
            {
                throw Fail(number, $"more than {SessionDescription.MaxLinesPerSection} lines in a section");
            }
            current.Add(new Line(number, span[0], span[2..].ToString()));
        }

        var description = ParseSession(session);
        var sections = new List<SdpMediaSection>(media.Count);
        foreach (var lines in media) sections.Add(ParseMedia(lines));
        return description with { Media = sections.ToValueList() };
    }

    private static SdpFormatException Fail(int line, string message) => new($"line {line}: {message}");

    private static SdpFormatException Fail(Line line, string message) =>
        new($"line {line.Number} ({line.Type}={Excerpt(line.Value)}): {message}");

    private static string Excerpt(string s) => s.Length <= 40 ? s : s[..40] + "…";

    private static SessionDescription ParseSession(List<Line> lines)
    {
        if (lines.Count == 0 || lines[0].Type != 'v') throw new SdpFormatException("SDP must start with v=");
        if (lines[0].Value != "0") throw Fail(lines[0], "unsupported version");
        if (lines.Count < 2 || lines[1].Type != 'o') throw new SdpFormatException("o= must follow v=");
        if (lines.Count < 3 || lines[2].Type != 's') throw new SdpFormatException("s= must follow o=");

        var o = SdpText.SplitWhitespace(lines[1].Value);
        if (o.Count != 6
            || !SdpText.IsDigits(o[1]) || o[1].Length > 64
            || !SdpText.TryParseULong(o[2], out ulong version)
            || !SdpText.IsToken(o[3]) || !SdpText.IsToken(o[4]) || !SdpText.IsVisible(o[0]) || !SdpText.IsVisible(o[5]))
        {
            throw Fail(lines[1], "malformed origin");
        }
        var origin = new SdpOrigin(o[0], o[1], version, o[3], o[4], o[5]);

        var pre = new List<SdpLine>();
        var post = new List<SdpLine>();
        SdpConnection? connection = null;
        var bandwidths = new List<SdpBandwidth>();
        SdpTiming? timing = null;
        var attributes = new List<Line>();
        for (int i = 3; i < lines.Count; i++)
        {
            var line = lines[i];
            switch (line.Type)
            {
                case 'i' or 'u' or 'e' or 'p':
                    pre.Add(new SdpLine(line.Type, line.Value));
                    break;
                case 'r' or 'z' or 'k':
                    post.Add(new SdpLine(line.Type, line.Value));
                    break;
                case 't':
                    if (timing is null)
                    {
                        var t = SdpText.SplitWhitespace(line.Value);
                        if (t.Count != 2 || !SdpText.TryParseULong(t[0], out ulong start) || !SdpText.TryParseULong(t[1], out ulong stop))
                        {
                            throw Fail(line, "malformed timing");
                        }
                        timing = new SdpTiming(start, stop);
                    }
                    else
                    {
                        post.Add(new SdpLine(line.Type, line.Value));
                    }
                    break;
                case 'c':
                    if (connection is not null) throw Fail(line, "second session-level c=");
                    connection = ParseConnection(line);
                    break;
                case 'b':
                    bandwidths.Add(ParseBandwidth(line));
                    break;
                case 'a':
                    attributes.Add(line);
                    break;
                default:
                    throw Fail(line, "unexpected line type at session level");
            }
        }
        if (timing is null) throw new SdpFormatException("missing t=");

        var groups = new List<SdpGroup>();
        var extmaps = new List<SdpExtmap>();
        var others = new List<SdpAttribute>();
        SdpMsidSemantic? msidSemantic = null;
        bool iceLite = false, allowMixed = false;
        var transport = new TransportAttributes();
        SdpDirection? direction = null;

        foreach (var line in attributes)
        {
            var (name, value) = SplitAttribute(line);
            if (transport.TryTake(line, name, value)) continue;
            switch (name)
            {
                case "group":
                    groups.Add(ParseGroup(line, Require(line, value)));
                    break;
                case "msid-semantic":
                    if (msidSemantic is not null) throw Fail(line, "duplicate attribute");
                    msidSemantic = ParseMsidSemantic(line, Require(line, value));
                    break;
                case "ice-lite":
                    RequireFlag(line, value);
                    iceLite = true;
                    break;
                case "extmap-allow-mixed":
                    RequireFlag(line, value);
                    allowMixed = true;
                    break;
                case "extmap":
                    AddExtmap(line, extmaps, Require(line, value));
                    break;
                case "sendrecv" or "sendonly" or "recvonly" or "inactive":
                    RequireFlag(line, value);
                    if (direction is not null) throw Fail(line, "second direction attribute");
                    SdpDirectionExtensions.TryParseDirection(name, out var d);
                    direction = d;
                    break;
                default:
                    others.Add(new SdpAttribute(name, value));
                    break;
            }
        }

        pre.AddRange(post);
        return new SessionDescription
        {
            Origin = origin,
            SessionName = lines[2].Value,
            Timing = timing,
            Connection = connection,
            Bandwidths = bandwidths.ToValueList(),
            ExtraLines = pre.ToValueList(),
            Groups = groups.ToValueList(),
            MsidSemantic = msidSemantic,
            IceLite = iceLite,
            IceUfrag = transport.Ufrag,
            IcePwd = transport.Pwd,
            IceOptions = transport.IceOptions ?? ValueList<string>.Empty,
            Fingerprints = transport.Fingerprints.ToValueList(),
            Setup = transport.Setup,
            ExtmapAllowMixed = allowMixed,
            Extmaps = extmaps.ToValueList(),
            Direction = direction,
            OtherAttributes = others.ToValueList(),
        };
    }

    private sealed class CodecBuilder(int payloadType, string name, int clockRate, int? channels)
    {
        public readonly int PayloadType = payloadType;
        public SdpFmtp? Fmtp;
        public readonly List<string> Feedback = [];

        public SdpCodec Build() => new(PayloadType, name, clockRate, channels)
        {
            Fmtp = Fmtp,
            RtcpFeedback = Feedback.ToValueList(),
        };
    }

    private static SdpMediaSection ParseMedia(List<Line> lines)
    {
        var m = lines[0];
        var parts = SdpText.SplitWhitespace(m.Value);
        if (parts.Count < 3) throw Fail(m, "m= needs media, port and protocol");
        if (!SdpText.IsToken(parts[0])) throw Fail(m, "invalid media type");
        int port;
        int? portCount = null;
        int slash = parts[1].IndexOf('/');
        if (slash < 0)
        {
            if (!SdpText.TryParseInt(parts[1], 0, 65535, out port)) throw Fail(m, "invalid port");
        }
        else
        {
            if (!SdpText.TryParseInt(parts[1][..slash], 0, 65535, out port)
                || !SdpText.TryParseInt(parts[1][(slash + 1)..], 1, 65535, out int count))
            {
                throw Fail(m, "invalid port");
            }
            portCount = count;
        }
        string protocol = parts[2];
        if (!SdpText.IsVisible(protocol)) throw Fail(m, "invalid protocol");
        bool rtp = SdpProtocols.IsRtp(protocol);
        var formats = parts.GetRange(3, parts.Count - 3);
        foreach (var f in formats)
        {
            if (rtp ? !SdpText.TryParseInt(f, 0, 127, out _) : !SdpText.IsVisible(f)) throw Fail(m, $"invalid format '{f}'");
        }

        var pre = new List<SdpLine>();
        var post = new List<SdpLine>();
        SdpConnection? connection = null;
        var bandwidths = new List<SdpBandwidth>();
        var attributes = new List<(Line Line, string Name, string? Value)>();
        for (int i = 1; i < lines.Count; i++)
        {
            var line = lines[i];
            switch (line.Type)
            {
                case 'i':
                    pre.Add(new SdpLine(line.Type, line.Value));
                    break;
                case 'k':
                    post.Add(new SdpLine(line.Type, line.Value));
                    break;
                case 'c':
                    if (connection is not null) throw Fail(line, "second c= in a section");
                    connection = ParseConnection(line);
                    break;
                case 'b':
                    bandwidths.Add(ParseBandwidth(line));
                    break;
                case 'a':
                    var (name, value) = SplitAttribute(line);
                    attributes.Add((line, name, value));
                    break;
                default:
                    throw Fail(line, "unexpected line type in a media section");
            }
        }

        // First pass: rtpmap lines, so that fmtp and rtcp-fb may come before or after them.
        var codecs = new List<CodecBuilder>();
        foreach (var (line, name, value) in attributes)
        {
            if (name != "rtpmap") continue;
            var (ptText, rest) = SdpText.SplitFirst(Require(line, value));
            if (!SdpText.TryParseInt(ptText, 0, 127, out int pt)) throw Fail(line, "invalid payload type");
            var enc = rest.Split('/');
            if (SdpText.SplitWhitespace(rest).Count != 1 || enc.Length is < 2 or > 3
                || !SdpText.IsToken(enc[0])
                || !SdpText.TryParseInt(enc[1], 1, int.MaxValue, out int rate))
            {
                throw Fail(line, "malformed rtpmap");
            }
            int? channels = null;
            if (enc.Length == 3)
            {
                if (!SdpText.TryParseInt(enc[2], 1, 255, out int ch)) throw Fail(line, "malformed rtpmap channels");
                channels = ch;
            }
            if (codecs.Exists(c => c.PayloadType == pt)) throw Fail(line, "duplicate rtpmap");
            codecs.Add(new CodecBuilder(pt, enc[0], rate, channels));
        }

        var others = new List<SdpAttribute>();
        var extmaps = new List<SdpExtmap>();
        var msids = new List<SdpMsid>();
        var ssrcGroups = new List<SdpSsrcGroup>();
        var ssrcOrder = new List<uint>();
        var ssrcAttributes = new Dictionary<uint, List<SdpSsrcAttribute>>();
        var rids = new List<SdpRid>();
        var candidates = new List<SdpCandidate>();
        string? rtcp = null, mid = null;
        var transport = new TransportAttributes();
        SdpDirection? direction = null;
        SdpSimulcast? simulcast = null;
        int? sctpPort = null;
        long? maxMessageSize = null;
        bool allowMixed = false, rtcpMux = false, rtcpMuxOnly = false, rtcpRsize = false, bundleOnly = false, endOfCandidates = false;

        foreach (var (line, name, value) in attributes)
        {
            if (transport.TryTake(line, name, value)) continue;
            switch (name)
            {
                case "rtpmap":
                    break;
                case "fmtp":
                {
                    var (ptText, rest) = SdpText.SplitFirst(Require(line, value));
                    if (!SdpText.TryParseInt(ptText, 0, 127, out int pt)) throw Fail(line, "invalid payload type");
                    var codec = codecs.Find(c => c.PayloadType == pt);
                    if (codec is null || codec.Fmtp is not null) others.Add(new SdpAttribute(name, value));
                    else codec.Fmtp = SdpFmtp.Parse(rest);
                    break;
                }
                case "rtcp-fb":
                {
                    var (ptText, rest) = SdpText.SplitFirst(Require(line, value));
                    var fb = SdpText.SplitWhitespace(rest);
                    if (fb.Count == 0) throw Fail(line, "empty rtcp-fb");
                    foreach (var f in fb)
                    {
                        if (!SdpText.IsVisible(f)) throw Fail(line, "invalid rtcp-fb");
                    }
                    CodecBuilder? codec = null;
                    if (ptText != "*")
                    {
                        if (!SdpText.TryParseInt(ptText, 0, 127, out int pt)) throw Fail(line, "invalid payload type");
                        codec = codecs.Find(c => c.PayloadType == pt);
                    }
                    if (codec is null) others.Add(new SdpAttribute(name, value));
                    else codec.Feedback.Add(string.Join(' ', fb));
                    break;
                }
                case "rtcp":
                    SetOnce(line, ref rtcp, Require(line, value));
                    break;
                case "mid":
                {
                    var v = SdpText.TrimWhitespace(Require(line, value));
                    if (!SdpText.IsToken(v) || v.Length > 256) throw Fail(line, "invalid mid");
                    SetOnce(line, ref mid, v);
                    break;
                }
                case "extmap":
                    AddExtmap(line, extmaps, Require(line, value));
                    break;
                case "extmap-allow-mixed":
                    RequireFlag(line, value);
                    allowMixed = true;
                    break;
                case "sendrecv" or "sendonly" or "recvonly" or "inactive":
                    RequireFlag(line, value);
                    if (direction is not null) throw Fail(line, "second direction attribute");
                    SdpDirectionExtensions.TryParseDirection(name, out var d);
                    direction = d;
                    break;
                case "msid":
                {
                    var t = SdpText.SplitWhitespace(Require(line, value));
                    if (t.Count is < 1 or > 2 || !t.TrueForAll(x => SdpText.IsVisible(x) && x.Length <= 256))
                    {
                        throw Fail(line, "malformed msid");
                    }
                    msids.Add(new SdpMsid(t[0], t.Count == 2 ? t[1] : null));
                    break;
                }
                case "rtcp-mux":
                    RequireFlag(line, value);
                    rtcpMux = true;
                    break;
                case "rtcp-mux-only":
                    RequireFlag(line, value);
                    rtcpMuxOnly = true;
                    break;
                case "rtcp-rsize":
                    RequireFlag(line, value);
                    rtcpRsize = true;
                    break;
                case "bundle-only":
                    RequireFlag(line, value);
                    bundleOnly = true;
                    break;
                case "ssrc":
                {
                    var (ssrcText, rest) = SdpText.SplitFirst(Require(line, value));
                    if (!SdpText.TryParseUInt(ssrcText, out uint ssrc)) throw Fail(line, "invalid ssrc");
                    int colon = rest.IndexOf(':');
                    string attrName = colon < 0 ? rest : rest[..colon];
                    if (!SdpText.IsToken(attrName)) throw Fail(line, "invalid ssrc attribute");
                    if (!ssrcAttributes.TryGetValue(ssrc, out var list))
                    {
                        list = [];
                        ssrcAttributes.Add(ssrc, list);
                        ssrcOrder.Add(ssrc);
                    }
                    list.Add(new SdpSsrcAttribute(attrName, colon < 0 ? null : rest[(colon + 1)..]));
                    break;
                }
                case "ssrc-group":
                {
                    var t = SdpText.SplitWhitespace(Require(line, value));
                    if (t.Count < 2 || !SdpText.IsToken(t[0])) throw Fail(line, "malformed ssrc-group");
                    var ssrcs = new uint[t.Count - 1];
                    for (int i = 1; i < t.Count; i++)
                    {
                        if (!SdpText.TryParseUInt(t[i], out ssrcs[i - 1])) throw Fail(line, "invalid ssrc");
                    }
                    ssrcGroups.Add(new SdpSsrcGroup(t[0], ValueList.Create<uint>(ssrcs)));
                    break;
                }
                case "rid":
                {
                    var rid = ParseRid(line, Require(line, value));
                    if (rids.Exists(r => r.Id == rid.Id)) throw Fail(line, "duplicate rid");
                    rids.Add(rid);
                    break;
                }
                case "simulcast":
                    if (simulcast is not null) throw Fail(line, "duplicate attribute");
                    simulcast = ParseSimulcast(line, Require(line, value));
                    break;
                case "candidate":
                    if (!SdpCandidate.TryParse(Require(line, value), out var candidate)) throw Fail(line, "malformed candidate");
                    candidates.Add(candidate!);
                    break;
                case "end-of-candidates":
                    RequireFlag(line, value);
                    endOfCandidates = true;
                    break;
                case "sctp-port":
                {
                    if (sctpPort is not null) throw Fail(line, "duplicate attribute");
                    if (!SdpText.TryParseInt(SdpText.TrimWhitespace(Require(line, value)), 0, 65535, out int p))
                    {
                        throw Fail(line, "invalid sctp-port");
                    }
                    sctpPort = p;
                    break;
                }
                case "max-message-size":
                {
                    if (maxMessageSize is not null) throw Fail(line, "duplicate attribute");
                    if (!SdpText.TryParseLong(SdpText.TrimWhitespace(Require(line, value)), out long size))
                    {
                        throw Fail(line, "invalid max-message-size");
                    }
                    maxMessageSize = size;
                    break;
                }
                default:
                    others.Add(new SdpAttribute(name, value));
                    break;
            }
        }

        pre.AddRange(post);
        return new SdpMediaSection
        {
            Media = parts[0],
            Port = port,
            PortCount = portCount,
            Protocol = protocol,
            Formats = formats.ToValueList(),
            ExtraLines = pre.ToValueList(),
            Connection = connection,
            Bandwidths = bandwidths.ToValueList(),
            Rtcp = rtcp,
            IceUfrag = transport.Ufrag,
            IcePwd = transport.Pwd,
            IceOptions = transport.IceOptions ?? ValueList<string>.Empty,
            Fingerprints = transport.Fingerprints.ToValueList(),
            Setup = transport.Setup,
            Mid = mid,
            Extmaps = extmaps.ToValueList(),
            ExtmapAllowMixed = allowMixed,
            Direction = direction,
            Msids = msids.ToValueList(),
            RtcpMux = rtcpMux,
            RtcpMuxOnly = rtcpMuxOnly,
            RtcpRsize = rtcpRsize,
            BundleOnly = bundleOnly,
            Codecs = codecs.Select(c => c.Build()).ToValueList(),
            SsrcGroups = ssrcGroups.ToValueList(),
            Ssrcs = ssrcOrder.Select(s => new SdpSsrc(s, ssrcAttributes[s].ToValueList())).ToValueList(),
            Rids = rids.ToValueList(),
            Simulcast = simulcast,
            SctpPort = sctpPort,
            MaxMessageSize = maxMessageSize,
            OtherAttributes = others.ToValueList(),
            Candidates = candidates.ToValueList(),
            EndOfCandidates = endOfCandidates,
        };
    }

    /// <summary>
    /// The ICE and DTLS attributes that may stand at session level or in a media section (RFC 8839 §5.4,
    /// RFC 8842 §5), read the same way in both places.
    /// </summary>
    private sealed class TransportAttributes
    {
        public string? Ufrag;
        public string? Pwd;
        public ValueList<string>? IceOptions;
        public SdpSetup? Setup;
        public readonly List<SdpFingerprint> Fingerprints = [];

        /// <summary>True when the attribute was one of these (and is now taken).</summary>
        public bool TryTake(Line line, string name, string? value)
        {
            switch (name)
            {
                case "ice-ufrag":
                    SetOnce(line, ref Ufrag, ParseIceValue(line, Require(line, value)));
                    return true;
                case "ice-pwd":
                    SetOnce(line, ref Pwd, ParseIceValue(line, Require(line, value)));
                    return true;
                case "ice-options":
                    if (IceOptions is not null) throw Fail(line, "duplicate attribute");
                    IceOptions = ParseTokenList(line, Require(line, value));
                    return true;
                case "fingerprint":
                    Fingerprints.Add(ParseFingerprint(line, Require(line, value)));
                    return true;
                case "setup":
                    if (Setup is not null) throw Fail(line, "duplicate attribute");
                    Setup = ParseSetup(line, Require(line, value));
                    return true;
                default:
                    return false;
            }
        }
    }

    private static (string Name, string? Value) SplitAttribute(Line line)
    {
        int colon = line.Value.IndexOf(':');
        string name = colon < 0 ? line.Value : line.Value[..colon];
        if (!SdpText.IsToken(name)) throw Fail(line, "invalid attribute name");
        return (name, colon < 0 ? null : line.Value[(colon + 1)..]);
    }

    private static string Require(Line line, string? value) =>
        string.IsNullOrEmpty(value) ? throw Fail(line, "attribute needs a value") : value;

    private static void RequireFlag(Line line, string? value)
    {
        if (value is not null) throw Fail(line, "attribute takes no value");
    }

    private static void SetOnce(Line line, ref string? field, string value)
    {
        if (field is not null) throw Fail(line, "duplicate attribute");
        field = value;
    }

    private static string ParseIceValue(Line line, string value)
    {
        var v = SdpText.TrimWhitespace(value);
        if (!SdpText.IsVisible(v) || v.Length > 256) throw Fail(line, "invalid ICE credential");
        return v;
    }

    private static ValueList<string> ParseTokenList(Line line, string value)
    {
        var t = SdpText.SplitWhitespace(value);
        if (t.Count == 0 || !t.TrueForAll(x => SdpText.IsVisible(x))) throw Fail(line, "invalid token list");
        return t.ToValueList();
    }

    private static SdpConnection ParseConnection(Line line)
    {
        var t = SdpText.SplitWhitespace(line.Value);
        if (t.Count != 3 || !SdpText.IsToken(t[0]) || !SdpText.IsToken(t[1]) || !SdpText.IsVisible(t[2]))
        {
            throw Fail(line, "malformed connection");
        }
        return new SdpConnection(t[0], t[1], t[2]);
    }

    private static SdpBandwidth ParseBandwidth(Line line)
    {
        int colon = line.Value.IndexOf(':');
        if (colon < 0 || !SdpText.IsToken(line.Value.AsSpan(0, colon))
            || !SdpText.TryParseLong(line.Value[(colon + 1)..], out long v))
        {
            throw Fail(line, "malformed bandwidth");
        }
        return new SdpBandwidth(line.Value[..colon], v);
    }

    private static SdpGroup ParseGroup(Line line, string value)
    {
        var t = SdpText.SplitWhitespace(value);
        if (t.Count == 0 || !t.TrueForAll(x => SdpText.IsToken(x) && x.Length <= 256)) throw Fail(line, "malformed group");
        return new SdpGroup(t[0], t.Skip(1).ToValueList());
    }

    private static SdpMsidSemantic ParseMsidSemantic(Line line, string value)
    {
        var t = SdpText.SplitWhitespace(value);
        if (t.Count == 0 || !SdpText.IsToken(t[0]) || !t.TrueForAll(x => SdpText.IsVisible(x)))
        {
            throw Fail(line, "malformed msid-semantic");
        }
        return new SdpMsidSemantic(t[0], t.Skip(1).ToValueList());
    }

    private static SdpFingerprint ParseFingerprint(Line line, string value) =>
        SdpFingerprint.TryParse(value, out var f) ? f! : throw Fail(line, "malformed fingerprint");

    private static SdpSetup ParseSetup(Line line, string value) =>
        SdpDirectionExtensions.TryParseSetup(SdpText.TrimWhitespace(value), out var s) ? s : throw Fail(line, "invalid setup");

    private static void AddExtmap(Line line, List<SdpExtmap> extmaps, string value)
    {
        var (idText, rest) = SdpText.SplitFirst(value);
        var (uri, attributes) = SdpText.SplitFirst(rest);
        SdpDirection? direction = null;
        int slash = idText.IndexOf('/');
        if (slash >= 0)
        {
            if (!SdpDirectionExtensions.TryParseDirection(idText[(slash + 1)..], out var d)) throw Fail(line, "invalid extmap direction");
            direction = d;
            idText = idText[..slash];
        }
        if (!SdpText.TryParseInt(idText, 1, 255, out int id)) throw Fail(line, "invalid extmap id");
        if (!SdpText.IsVisible(uri)) throw Fail(line, "invalid extmap URI");
        if (extmaps.Exists(e => e.Id == id)) throw Fail(line, "duplicate extmap id");
        extmaps.Add(new SdpExtmap(id, uri, direction, attributes.Length == 0 ? null : attributes));
    }

    private static SdpRid ParseRid(Line line, string value)
    {
        var t = SdpText.SplitWhitespace(value);
        if (t.Count is < 2 or > 3 || !SdpText.IsRidId(t[0])) throw Fail(line, "malformed rid");
        var direction = t[1] switch
        {
            "send" => SdpRidDirection.Send,
            "recv" => SdpRidDirection.Recv,
            _ => throw Fail(line, "invalid rid direction"),
        };
        var restrictions = new List<SdpRidRestriction>();
        if (t.Count == 3)
        {
            foreach (var part in t[2].Split(';'))
            {
                if (part.Length == 0) continue;
                int eq = part.IndexOf('=');
                string name = eq < 0 ? part : part[..eq];
                if (!SdpText.IsToken(name)) throw Fail(line, "invalid rid restriction");
                restrictions.Add(new SdpRidRestriction(name, eq < 0 ? null : part[(eq + 1)..]));
            }
        }
        return new SdpRid(t[0], direction, restrictions.ToValueList());
    }

    private static SdpSimulcast ParseSimulcast(Line line, string value)
    {
        var t = SdpText.SplitWhitespace(value);
        if (t.Count is not (2 or 4)) throw Fail(line, "malformed simulcast");
        ValueList<SdpSimulcastStream>? send = null, recv = null;
        for (int i = 0; i < t.Count; i += 2)
        {
            var streams = ParseSimulcastStreams(line, t[i + 1]);
            switch (t[i])
            {
                case "send" when send is null:
                    send = streams;
                    break;
                case "recv" when recv is null:
                    recv = streams;
                    break;
                default:
                    throw Fail(line, "invalid simulcast direction");
            }
        }
        return new SdpSimulcast(send ?? ValueList<SdpSimulcastStream>.Empty, recv ?? ValueList<SdpSimulcastStream>.Empty);
    }

    private static ValueList<SdpSimulcastStream> ParseSimulcastStreams(Line line, string list)
    {
        var streams = new List<SdpSimulcastStream>();
        foreach (var stream in list.Split(';'))
        {
            var alternatives = new List<SdpSimulcastRid>();
            foreach (var alt in stream.Split(','))
            {
                bool paused = alt.StartsWith('~');
                var id = paused ? alt[1..] : alt;
                if (!SdpText.IsRidId(id)) throw Fail(line, "invalid simulcast rid");
                alternatives.Add(new SdpSimulcastRid(id, paused));
            }
            streams.Add(new SdpSimulcastStream(alternatives.ToValueList()));
        }
        return streams.ToValueList();
    }
}
