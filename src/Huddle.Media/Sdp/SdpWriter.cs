using System.Text;

namespace Huddle.Media.Sdp;

/// <summary>Writes the model as SDP text with CRLF line endings, in the order Chromium uses.</summary>
internal static class SdpWriter
{
    private const string Crlf = "\r\n";

    public static string Write(SessionDescription d)
    {
        var sb = new StringBuilder(4096);
        Line(sb, "v=", SdpText.Str(d.Version));
        var o = d.Origin;
        sb.Append("o=").Append(o.Username).Append(' ').Append(o.SessionId).Append(' ').Append(SdpText.Str(o.SessionVersion))
            .Append(' ').Append(o.NetworkType).Append(' ').Append(o.AddressType).Append(' ').Append(o.Address).Append(Crlf);
        Line(sb, "s=", d.SessionName);
        foreach (var l in d.ExtraLines)
        {
            if (l.Type is 'i' or 'u' or 'e' or 'p') Line(sb, l.Type + "=", l.Value);
        }
        if (d.Connection is not null) WriteConnection(sb, d.Connection);
        foreach (var b in d.Bandwidths) WriteBandwidth(sb, b);
        sb.Append("t=").Append(SdpText.Str(d.Timing.Start)).Append(' ').Append(SdpText.Str(d.Timing.Stop)).Append(Crlf);
        foreach (var l in d.ExtraLines)
        {
            if (l.Type is not ('i' or 'u' or 'e' or 'p')) Line(sb, l.Type + "=", l.Value);
        }

        foreach (var g in d.Groups) WriteGroup(sb, g);
        if (d.ExtmapAllowMixed) Line(sb, "a=extmap-allow-mixed");
        if (d.MsidSemantic is { } ms)
        {
            // Chromium writes (and older versions require) the space after the colon.
            sb.Append("a=msid-semantic: ").Append(ms.Semantic);
            foreach (var id in ms.Ids) sb.Append(' ').Append(id);
            sb.Append(Crlf);
        }
        if (d.IceLite) Line(sb, "a=ice-lite");
        WriteIceAndDtls(sb, d.IceUfrag, d.IcePwd, d.IceOptions, d.Fingerprints, d.Setup);
        foreach (var e in d.Extmaps) WriteExtmap(sb, e);
        if (d.Direction is { } dir) Line(sb, "a=", dir.ToSdpString());
        foreach (var a in d.OtherAttributes) WriteAttribute(sb, a);

        foreach (var m in d.Media) WriteMedia(sb, m);
        return sb.ToString();
    }

    public static void WriteMedia(StringBuilder sb, SdpMediaSection m)
    {
        sb.Append("m=").Append(m.Media).Append(' ').Append(SdpText.Str(m.Port));
        if (m.PortCount is int n) sb.Append('/').Append(SdpText.Str(n));
        sb.Append(' ').Append(m.Protocol);
        foreach (var f in m.Formats) sb.Append(' ').Append(f);
        sb.Append(Crlf);
        foreach (var l in m.ExtraLines)
        {
            if (l.Type == 'i') Line(sb, "i=", l.Value);
        }
        if (m.Connection is not null) WriteConnection(sb, m.Connection);
        foreach (var b in m.Bandwidths) WriteBandwidth(sb, b);
        foreach (var l in m.ExtraLines)
        {
            if (l.Type != 'i') Line(sb, l.Type + "=", l.Value);
        }

        if (m.Rtcp is not null) Line(sb, "a=rtcp:", m.Rtcp);
        WriteIceAndDtls(sb, m.IceUfrag, m.IcePwd, m.IceOptions, m.Fingerprints, m.Setup);
        if (m.Mid is not null) Line(sb, "a=mid:", m.Mid);
        foreach (var e in m.Extmaps) WriteExtmap(sb, e);
        if (m.ExtmapAllowMixed) Line(sb, "a=extmap-allow-mixed");
        if (m.Direction is { } dir) Line(sb, "a=", dir.ToSdpString());
        foreach (var msid in m.Msids) Line(sb, "a=msid:", msid.ToString());
        if (m.RtcpMux) Line(sb, "a=rtcp-mux");
        if (m.RtcpMuxOnly) Line(sb, "a=rtcp-mux-only");
        if (m.RtcpRsize) Line(sb, "a=rtcp-rsize");
        if (m.BundleOnly) Line(sb, "a=bundle-only");
        foreach (var c in m.Codecs)
        {
            Line(sb, "a=rtpmap:", c.RtpmapValue);
            foreach (var fb in c.RtcpFeedback)
            {
                sb.Append("a=rtcp-fb:").Append(SdpText.Str(c.PayloadType)).Append(' ').Append(fb).Append(Crlf);
            }
            if (c.Fmtp is not null)
            {
                sb.Append("a=fmtp:").Append(SdpText.Str(c.PayloadType));
                if (c.Fmtp.Raw.Length > 0) sb.Append(' ').Append(c.Fmtp.Raw);
                sb.Append(Crlf);
            }
        }
        foreach (var g in m.SsrcGroups)
        {
            sb.Append("a=ssrc-group:").Append(g.Semantics);
            foreach (var s in g.Ssrcs) sb.Append(' ').Append(SdpText.Str(s));
            sb.Append(Crlf);
        }
        foreach (var s in m.Ssrcs)
        {
            foreach (var a in s.Attributes)
            {
                sb.Append("a=ssrc:").Append(SdpText.Str(s.Ssrc)).Append(' ').Append(a.Name);
                if (a.Value is not null) sb.Append(':').Append(a.Value);
                sb.Append(Crlf);
            }
        }
        foreach (var r in m.Rids)
        {
            sb.Append("a=rid:").Append(r.Id).Append(r.Direction == SdpRidDirection.Send ? " send" : " recv");
            if (r.Restrictions.Count > 0) sb.Append(' ').Append(string.Join(";", r.Restrictions));
            sb.Append(Crlf);
        }
        if (m.Simulcast is { } sim && (sim.Send.Count > 0 || sim.Recv.Count > 0)) Line(sb, "a=simulcast:", sim.ToString());
        if (m.SctpPort is int sctp) Line(sb, "a=sctp-port:", SdpText.Str(sctp));
        if (m.MaxMessageSize is long max) Line(sb, "a=max-message-size:", SdpText.Str(max));
        foreach (var a in m.OtherAttributes) WriteAttribute(sb, a);
        foreach (var c in m.Candidates) Line(sb, "a=candidate:", c.Raw);
        if (m.EndOfCandidates) Line(sb, "a=end-of-candidates");
    }

    private static void WriteIceAndDtls(StringBuilder sb, string? ufrag, string? pwd, ValueList<string> options,
        ValueList<SdpFingerprint> fingerprints, SdpSetup? setup)
    {
        if (ufrag is not null) Line(sb, "a=ice-ufrag:", ufrag);
        if (pwd is not null) Line(sb, "a=ice-pwd:", pwd);
        if (options.Count > 0) Line(sb, "a=ice-options:", string.Join(' ', options));
        foreach (var f in fingerprints) Line(sb, "a=fingerprint:", f.ToString());
        if (setup is { } s) Line(sb, "a=setup:", s.ToSdpString());
    }

    private static void WriteGroup(StringBuilder sb, SdpGroup g)
    {
        sb.Append("a=group:").Append(g.Semantics);
        foreach (var mid in g.Mids) sb.Append(' ').Append(mid);
        sb.Append(Crlf);
    }

    private static void WriteExtmap(StringBuilder sb, SdpExtmap e)
    {
        sb.Append("a=extmap:").Append(SdpText.Str(e.Id));
        if (e.Direction is { } d) sb.Append('/').Append(d.ToSdpString());
        sb.Append(' ').Append(e.Uri);
        if (!string.IsNullOrEmpty(e.Attributes)) sb.Append(' ').Append(e.Attributes);
        sb.Append(Crlf);
    }

    private static void WriteConnection(StringBuilder sb, SdpConnection c) =>
        sb.Append("c=").Append(c.NetworkType).Append(' ').Append(c.AddressType).Append(' ').Append(c.Address).Append(Crlf);

    private static void WriteBandwidth(StringBuilder sb, SdpBandwidth b) =>
        sb.Append("b=").Append(b.Type).Append(':').Append(SdpText.Str(b.Value)).Append(Crlf);

    private static void WriteAttribute(StringBuilder sb, SdpAttribute a)
    {
        sb.Append("a=").Append(a.Name);
        if (a.Value is not null) sb.Append(':').Append(a.Value);
        sb.Append(Crlf);
    }

    private static void Line(StringBuilder sb, string prefix, string value = "") => sb.Append(prefix).Append(value).Append(Crlf);
}
