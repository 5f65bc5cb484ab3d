namespace Huddle.Media.Sdp;

/// <summary>Which codecs the server forwards. Everything else in an offer is dropped from the answer.</summary>
public sealed record CodecPolicy
{
    public static CodecPolicy Default { get; } = new();

    /// <summary>opus/48000/2.</summary>
    public bool Opus { get; init; } = true;

    /// <summary>VP8/90000.</summary>
    public bool Vp8 { get; init; } = true;

    /// <summary>H264/90000 with packetization-mode=1 and a Constrained Baseline profile-level-id.</summary>
    public bool H264 { get; init; } = true;

    /// <summary>VP9/90000, any profile-id offered.</summary>
    public bool Vp9 { get; init; } = true;

    /// <summary>AV1/90000.</summary>
    public bool Av1 { get; init; } = true;

    /// <summary>Accepts further codecs (rtx is handled separately and never needs this).</summary>
    public Func<SdpMediaKind, SdpCodec, bool>? AlsoAccept { get; init; }

    public bool Accepts(SdpMediaKind kind, SdpCodec codec)
    {
        if (codec.IsRtx) return false;
        bool builtIn = kind switch
        {
            SdpMediaKind.Audio => Opus && codec.NameIs("opus") && codec.ClockRate == 48000 && codec.Channels == 2,
            SdpMediaKind.Video when codec.ClockRate == 90000 =>
                (Vp8 && codec.NameIs("VP8"))
                || (Vp9 && codec.NameIs("VP9"))
                || (Av1 && codec.NameIs("AV1"))
                || (H264 && codec.NameIs("H264")
                    && codec.Fmtp?.Get("packetization-mode") == "1"
                    && H264ProfileLevelId.IsConstrainedBaseline(codec.Fmtp.Get("profile-level-id"))),
            _ => false,
        };
        return builtIn || (AlsoAccept?.Invoke(kind, codec) ?? false);
    }
}

/// <summary>A stream the server sends in an m= section: its SSRC (and RTX SSRC), CNAME and msid.</summary>
public sealed record SdpSendStream(uint Ssrc, string Cname, string StreamId, string TrackId)
{
    /// <summary>The RTX SSRC, announced with <c>a=ssrc-group:FID</c> when rtx is negotiated.</summary>
    public uint? RtxSsrc { get; init; }
}

/// <summary>What the server wants for one offered m= section.</summary>
public sealed record MediaAnswerChoice
{
    /// <summary>Receive what the browser sends; send nothing.</summary>
    public static MediaAnswerChoice Receive { get; } = new();

    public static MediaAnswerChoice Rejected { get; } = new() { Reject = true };

    public static MediaAnswerChoice Send(SdpSendStream stream) => new() { Direction = SdpDirection.SendOnly, Stream = stream };

    public static MediaAnswerChoice SendReceive(SdpSendStream stream) => new() { Direction = SdpDirection.SendRecv, Stream = stream };

    public bool Reject { get; init; }

    /// <summary>What we would like; the answer direction is this intersected with the offer's.</summary>
    public SdpDirection Direction { get; init; } = SdpDirection.RecvOnly;

    /// <summary>Announced (msid and ssrc lines) when the answer direction includes sending.</summary>
    public SdpSendStream? Stream { get; init; }
}

/// <summary>Everything <see cref="SdpAnswerBuilder"/> needs besides the offer.</summary>
public sealed record AnswerOptions
{
    /// <summary>4 to 256 ice-chars (RFC 8839).</summary>
    public required string IceUfrag { get; init; }

    /// <summary>22 to 256 ice-chars.</summary>
    public required string IcePwd { get; init; }

    public bool IceLite { get; init; } = true;

    /// <summary>Our DTLS certificate's fingerprint, e.g. <c>SdpFingerprint.Parse("sha-256", "AB:CD:…")</c>.</summary>
    public required SdpFingerprint Fingerprint { get; init; }

    /// <summary>Passive: the browser (actpass) becomes the DTLS client.</summary>
    public SdpSetup Setup { get; init; } = SdpSetup.Passive;

    /// <summary>Our host candidates, e.g. <see cref="SdpCandidate.Host"/>; written in the BUNDLE-tag section.</summary>
    public IReadOnlyList<SdpCandidate> Candidates { get; init; } = [];

    /// <summary>Write <c>a=end-of-candidates</c> after our candidates (ICE-lite knows them all up front).</summary>
    public bool EndOfCandidates { get; init; } = true;

    public CodecPolicy Codecs { get; init; } = CodecPolicy.Default;

    public IReadOnlyList<string> HeaderExtensions { get; init; } = RtpHeaderExtensionUris.DefaultSupported;

    /// <summary>rtcp-fb values kept; transport-cc also needs the transport-wide-cc extension to be kept.</summary>
    public IReadOnlyList<string> RtcpFeedback { get; init; } = RtcpFeedbackTypes.DefaultSupported;

    /// <summary>Per-mid choices; a mid not listed goes to <see cref="ChooseMedia"/>, then to <see cref="MediaAnswerChoice.Receive"/>.</summary>
    public IReadOnlyDictionary<string, MediaAnswerChoice>? MediaByMid { get; init; }

    public Func<SdpMediaSection, MediaAnswerChoice>? ChooseMedia { get; init; }

    /// <summary>Accept a UDP/DTLS/SCTP webrtc-datachannel section (rejected by default).</summary>
    public bool AcceptDataChannel { get; init; }

    public long MaxMessageSize { get; init; } = 262144;

    /// <summary>Echo <c>a=extmap-allow-mixed</c> (one- and two-byte header extensions mixed) when offered.</summary>
    public bool ExtmapAllowMixed { get; init; }

    /// <summary>Sections outside the offer's BUNDLE group are rejected: the server has one transport.</summary>
    public bool RequireBundle { get; init; } = true;

    /// <summary>The o= session id; random when null.</summary>
    public ulong? SessionId { get; init; }

    public ulong SessionVersion { get; init; } = 1;

    public string OriginUsername { get; init; } = "-";

    internal MediaAnswerChoice ChoiceFor(SdpMediaSection offered)
    {
        if (offered.Mid is not null && MediaByMid is not null && MediaByMid.TryGetValue(offered.Mid, out var choice)) return choice;
        return ChooseMedia?.Invoke(offered) ?? MediaAnswerChoice.Receive;
    }
}
