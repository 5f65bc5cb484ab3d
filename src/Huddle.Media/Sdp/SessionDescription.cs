namespace Huddle.Media.Sdp;

/// <summary>
/// A session description (RFC 8866) as WebRTC uses it: session-level lines and attributes, then
/// the m= sections. Immutable; change copies with <c>with</c>. Equality is structural, so
/// <c>Parse(x.Write()) == x</c> for every model the parser produces.
/// </summary>
public sealed record SessionDescription
{
    // Room for an SFU subscriber's description: a section per track it receives (two per person
    // publishing audio and video), about 500 characters each.
    public const int MaxLength = 128 * 1024;
    public const int MaxMediaSections = 128;
    public const int MaxLinesPerSection = 1000;

    public int Version { get; init; }

    public required SdpOrigin Origin { get; init; }

    public string SessionName { get; init; } = "-";

    public SdpTiming Timing { get; init; } = new(0, 0);

    public SdpConnection? Connection { get; init; }

    public ValueList<SdpBandwidth> Bandwidths { get; init; } = ValueList<SdpBandwidth>.Empty;

    /// <summary>i=, u=, e=, p= (written after s=) then r=, z=, k= and further t= lines (written after t=), verbatim.</summary>
    public ValueList<SdpLine> ExtraLines { get; init; } = ValueList<SdpLine>.Empty;

    public ValueList<SdpGroup> Groups { get; init; } = ValueList<SdpGroup>.Empty;

    public SdpMsidSemantic? MsidSemantic { get; init; }

    public bool IceLite { get; init; }

    public string? IceUfrag { get; init; }

    public string? IcePwd { get; init; }

    public ValueList<string> IceOptions { get; init; } = ValueList<string>.Empty;

    public ValueList<SdpFingerprint> Fingerprints { get; init; } = ValueList<SdpFingerprint>.Empty;

    public SdpSetup? Setup { get; init; }

    public bool ExtmapAllowMixed { get; init; }

    public ValueList<SdpExtmap> Extmaps { get; init; } = ValueList<SdpExtmap>.Empty;

    /// <summary>A session-level direction attribute; null when absent.</summary>
    public SdpDirection? Direction { get; init; }

    public ValueList<SdpAttribute> OtherAttributes { get; init; } = ValueList<SdpAttribute>.Empty;

    public ValueList<SdpMediaSection> Media { get; init; } = ValueList<SdpMediaSection>.Empty;

    /// <summary>The first <c>a=group:BUNDLE</c>, if any.</summary>
    public SdpGroup? BundleGroup
    {
        get
        {
            foreach (var g in Groups)
            {
                if (g.IsBundle) return g;
            }
            return null;
        }
    }

    /// <summary>
    /// The BUNDLE-tag section (RFC 9143 §7.2/§7.3): the section whose mid comes first in the BUNDLE
    /// group. Null without a BUNDLE group or when no section has that mid.
    /// </summary>
    public SdpMediaSection? BundleTagSection
    {
        get
        {
            var group = BundleGroup;
            return group is null || group.Mids.Count == 0 ? null : FindMedia(group.Mids[0]);
        }
    }

    public bool IsBundled(SdpMediaSection media) =>
        media.Mid is not null && BundleGroup is { } g && g.Mids.Contains(media.Mid);

    public SdpMediaSection? FindMedia(string mid)
    {
        foreach (var m in Media)
        {
            if (m.Mid == mid) return m;
        }
        return null;
    }

    /// <summary>The section's ice-ufrag, else the session's.</summary>
    public string? IceUfragFor(SdpMediaSection media) => media.IceUfrag ?? IceUfrag;

    public string? IcePwdFor(SdpMediaSection media) => media.IcePwd ?? IcePwd;

    public ValueList<SdpFingerprint> FingerprintsFor(SdpMediaSection media) =>
        media.Fingerprints.Count > 0 ? media.Fingerprints : Fingerprints;

    public SdpSetup? SetupFor(SdpMediaSection media) => media.Setup ?? Setup;

    public SdpDirection DirectionFor(SdpMediaSection media) => media.Direction ?? Direction ?? SdpDirection.SendRecv;

    /// <summary>Session-level extmaps followed by the section's.</summary>
    public IEnumerable<SdpExtmap> ExtmapsFor(SdpMediaSection media) => Extmaps.Concat(media.Extmaps);

    /// <summary>
    /// Parses SDP text; never throws. Fails on more than <see cref="MaxLength"/> characters, more
    /// than <see cref="MaxMediaSections"/> m= sections, more than <see cref="MaxLinesPerSection"/>
    /// lines in a section, or any malformed line that the model interprets. Accepts CRLF or LF.
    /// </summary>
    public static bool TryParse(string? sdp, out SessionDescription? result, out string? error)
    {
        result = null;
        if (sdp is null)
        {
            error = "SDP is null";
            return false;
        }
        try
        {
            result = SdpParser.Parse(sdp);
            error = null;
            return true;
        }
        catch (SdpFormatException e)
        {
            error = e.Message;
            return false;
        }
#pragma warning disable CA1031 // The contract is "never throws on bad input"; a parser bug must not become a crash.
        catch (Exception e)
#pragma warning restore CA1031
        {
            error = "internal parser error: " + e.GetType().Name;
            return false;
        }
    }

    /// <summary>Parses SDP text; throws <see cref="FormatException"/> with the reason when it is invalid.</summary>
    public static SessionDescription Parse(string sdp) =>
        TryParse(sdp, out var result, out var error) ? result! : throw new FormatException(error);

    /// <summary>Writes SDP with CRLF line endings in the conventional (Chromium) attribute order.</summary>
    public string Write() => SdpWriter.Write(this);

    public override string ToString() => Write();
}
