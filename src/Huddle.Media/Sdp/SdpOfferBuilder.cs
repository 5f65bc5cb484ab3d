namespace Huddle.Media.Sdp;

/// <summary>One m= section of an offer the server makes.</summary>
public sealed record OfferMediaOptions
{
    public required string Mid { get; init; }

    /// <summary>Audio, Video or Application (a data channel).</summary>
    public SdpMediaKind Kind { get; init; } = SdpMediaKind.Video;

    /// <summary>Codecs in preference order, rtx included (see <see cref="WebRtcCodecs"/>).</summary>
    public IReadOnlyList<SdpCodec> Codecs { get; init; } = [];

    public IReadOnlyList<SdpExtmap> Extmaps { get; init; } = [];

    public SdpDirection Direction { get; init; } = SdpDirection.SendOnly;

    /// <summary>What we send here; announced with a=msid and a=ssrc (and ssrc-group FID with an RTX SSRC).</summary>
    public SdpSendStream? Stream { get; init; }

    public bool RtcpRsize { get; init; } = true;

    /// <summary>Port 0 and left out of the BUNDLE group: a stopped section kept so mids stay in place.</summary>
    public bool Disabled { get; init; }

    /// <summary>For a data channel section.</summary>
    public int SctpPort { get; init; } = 5000;
}

public sealed record OfferOptions
{
    public required string IceUfrag { get; init; }

    public required string IcePwd { get; init; }

    public bool IceLite { get; init; } = true;

    public required SdpFingerprint Fingerprint { get; init; }

    /// <summary>actpass in an offer (RFC 8842 §5.2); the browser answers active and becomes the DTLS client.</summary>
    public SdpSetup Setup { get; init; } = SdpSetup.ActPass;

    public IReadOnlyList<SdpCandidate> Candidates { get; init; } = [];

    public bool EndOfCandidates { get; init; } = true;

    public required IReadOnlyList<OfferMediaOptions> Media { get; init; }

    public bool ExtmapAllowMixed { get; init; }

    public long MaxMessageSize { get; init; } = 262144;

    public ulong? SessionId { get; init; }

    /// <summary>Must grow with each new offer of the same session (RFC 3264 §8).</summary>
    public ulong SessionVersion { get; init; } = 1;

    public string OriginUsername { get; init; } = "-";
}

/// <summary>
/// Builds the server's own offer, for a connection on which it sends (the subscribe side): ICE-lite,
/// setup:actpass, everything enabled in one BUNDLE group, rtcp-mux, msid and ssrc lines.
/// </summary>
public static class SdpOfferBuilder
{
    /// <summary>Throws <see cref="ArgumentException"/> on options that would make an invalid offer.</summary>
    public static SessionDescription Build(OfferOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        SdpAnswerBuilder.ValidateIce(options.IceUfrag, options.IcePwd);
        if (options.Media.Count is 0 or > SessionDescription.MaxMediaSections)
        {
            throw new ArgumentException($"An offer has 1 to {SessionDescription.MaxMediaSections} sections", nameof(options));
        }

        var first = options.Candidates.Count > 0 ? options.Candidates[0] : null;
        int port = first?.Port ?? 9;
        var connection = first is null
            ? SdpConnection.Ipv4Any
            : new SdpConnection("IN", first.Address.Contains(':') ? "IP6" : "IP4", first.Address);

        var mids = new HashSet<string>(StringComparer.Ordinal);
        var bundle = new List<string>();
        var streamIds = new List<string>();
        var sections = new List<SdpMediaSection>();
        foreach (var m in options.Media)
        {
            if (m.Mid.Length > 256 || !SdpText.IsToken(m.Mid) || !mids.Add(m.Mid))
            {
                throw new ArgumentException($"Mid '{m.Mid}' is not a token or is repeated", nameof(options));
            }
            var section = m.Kind switch
            {
                SdpMediaKind.Audio or SdpMediaKind.Video => RtpSection(m),
                SdpMediaKind.Application => new SdpMediaSection
                {
                    Media = "application",
                    Protocol = SdpProtocols.UdpDtlsSctp,
                    Formats = [SdpProtocols.WebRtcDataChannel],
                    SctpPort = m.SctpPort,
                    MaxMessageSize = options.MaxMessageSize,
                },
                _ => throw new ArgumentException("Only audio, video and application sections", nameof(options)),
            };
            section = section with
            {
                Mid = m.Mid,
                Connection = m.Disabled ? SdpConnection.Ipv4Any : connection,
                Port = m.Disabled ? 0 : port,
            };
            if (!m.Disabled)
            {
                bundle.Add(m.Mid);
                section = section with
                {
                    IceUfrag = options.IceUfrag,
                    IcePwd = options.IcePwd,
                    Fingerprints = [options.Fingerprint],
                    Setup = options.Setup,
                    Candidates = options.Candidates.ToValueList(),
                    EndOfCandidates = options.EndOfCandidates && options.Candidates.Count > 0,
                };
                foreach (var msid in section.Msids)
                {
                    if (msid.StreamId != "-" && !streamIds.Contains(msid.StreamId)) streamIds.Add(msid.StreamId);
                }
            }
            sections.Add(section);
        }

        return new SessionDescription
        {
            Origin = new SdpOrigin(options.OriginUsername, SdpText.Str(options.SessionId ?? SdpAnswerBuilder.NewSessionId()),
                options.SessionVersion),
            IceLite = options.IceLite,
            Groups = bundle.Count > 0 ? [new SdpGroup("BUNDLE", bundle.ToValueList())] : ValueList<SdpGroup>.Empty,
            ExtmapAllowMixed = options.ExtmapAllowMixed,
            MsidSemantic = new SdpMsidSemantic("WMS", streamIds.ToValueList()),
            Media = sections.ToValueList(),
        };
    }

    private static SdpMediaSection RtpSection(OfferMediaOptions m)
    {
        if (m.Codecs.Count == 0) throw new ArgumentException($"Section {m.Mid} has no codecs", nameof(m));
        var pts = new HashSet<int>();
        foreach (var c in m.Codecs)
        {
            if (c.PayloadType is < 0 or > 127 || !pts.Add(c.PayloadType))
            {
                throw new ArgumentException($"Section {m.Mid}: payload type {c.PayloadType} invalid or repeated", nameof(m));
            }
            SdpText.RequireToken(c.Name, nameof(m));
        }
        foreach (var c in m.Codecs)
        {
            if (c.IsRtx && (c.AssociatedPayloadType is not int apt || !pts.Contains(apt)))
            {
                throw new ArgumentException($"Section {m.Mid}: rtx {c.PayloadType} has no associated codec", nameof(m));
            }
        }
        var ids = new HashSet<int>();
        foreach (var e in m.Extmaps)
        {
            if (e.Id is < 1 or > 255 || !ids.Add(e.Id)) throw new ArgumentException($"Section {m.Mid}: extmap id {e.Id} invalid or repeated", nameof(m));
            SdpText.RequireVisible(e.Uri, nameof(m));
        }

        var msids = ValueList<SdpMsid>.Empty;
        var ssrcs = new List<SdpSsrc>();
        var groups = new List<SdpSsrcGroup>();
        if (m.Stream is { } stream)
        {
            var msid = SdpAnswerBuilder.MsidOf(stream);
            msids = [msid];
            ssrcs.Add(SdpAnswerBuilder.SsrcLines(stream.Ssrc, stream.Cname, msid));
            if (stream.RtxSsrc is uint rtx && m.Codecs.Any(c => c.IsRtx))
            {
                groups.Add(new SdpSsrcGroup("FID", [stream.Ssrc, rtx]));
                ssrcs.Add(SdpAnswerBuilder.SsrcLines(rtx, stream.Cname, msid));
            }
        }

        return new SdpMediaSection
        {
            Media = m.Kind == SdpMediaKind.Audio ? "audio" : "video",
            Protocol = SdpProtocols.UdpTlsRtpSavpf,
            Formats = m.Codecs.Select(c => SdpText.Str(c.PayloadType)).ToValueList(),
            Rtcp = "9 IN IP4 0.0.0.0",
            Extmaps = m.Extmaps.ToValueList(),
            Direction = m.Disabled ? SdpDirection.Inactive : m.Direction,
            Msids = m.Disabled ? ValueList<SdpMsid>.Empty : msids,
            RtcpMux = true,
            RtcpRsize = m.RtcpRsize,
            Codecs = m.Codecs.ToValueList(),
            SsrcGroups = m.Disabled ? ValueList<SdpSsrcGroup>.Empty : groups.ToValueList(),
            Ssrcs = m.Disabled ? ValueList<SdpSsrc>.Empty : ssrcs.ToValueList(),
        };
    }
}
