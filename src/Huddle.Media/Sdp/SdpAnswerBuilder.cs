using System.Security.Cryptography;

namespace Huddle.Media.Sdp;

/// <summary>
/// Answers a browser's offer as an ICE-lite, BUNDLE-only, rtcp-mux-only server (JSEP RFC 8829
/// §5.3, BUNDLE RFC 9143 §7.3).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>One answer section per offered section, same order and mid. A rejected section keeps its
/// place with port 0 and its mid, and is left out of the BUNDLE group.</item>
/// <item>Rejected: unsupported kind or protocol, offered port 0 (not bundle-only), no mid or a
/// repeated mid, outside the BUNDLE group (with <see cref="AnswerOptions.RequireBundle"/>), RTP
/// without rtcp-mux, no common codec, data channels unless enabled, or the caller's choice.</item>
/// <item>Codecs keep the offer's payload types, order and fmtp; rtx only for kept codecs; rtcp-fb
/// filtered to the supported set. Header extensions keep the offer's ids.</item>
/// <item>Direction: the intersection of the reversed offer direction and what the caller wants.</item>
/// <item>Simulcast: rids the browser sends come back as <c>a=rid:… recv</c> with
/// <c>a=simulcast:recv</c>, when we receive and the rid header extension is kept.</item>
/// <item>The answerer BUNDLE tag is the first accepted mid of the offer's group (RFC 9143 §7.3.1);
/// every accepted section carries ICE credentials, fingerprint and setup and the BUNDLE
/// address; candidates and end-of-candidates go in the tagged section only (RFC 9143 §10.1).</item>
/// </list>
/// </remarks>
public static class SdpAnswerBuilder
{
    public static SessionDescription Build(SessionDescription offer, AnswerOptions options)
    {
        ArgumentNullException.ThrowIfNull(offer);
        ArgumentNullException.ThrowIfNull(options);
        ValidateIce(options.IceUfrag, options.IcePwd);

        var offerBundle = offer.BundleGroup;
        var seenMids = new HashSet<string>(StringComparer.Ordinal);
        var plans = new List<(SdpMediaSection Offered, SdpMediaSection? Accepted)>(offer.Media.Count);
        foreach (var offered in offer.Media)
        {
            bool firstMid = offered.Mid is not null && seenMids.Add(offered.Mid);
            bool bundled = offered.Mid is not null && offerBundle is not null && offerBundle.Mids.Contains(offered.Mid);
            SdpMediaSection? accepted = null;
            if (firstMid && (bundled || !options.RequireBundle) && (offered.Port != 0 || (offered.BundleOnly && bundled)))
            {
                var choice = options.ChoiceFor(offered);
                if (!choice.Reject)
                {
                    accepted = offered.Kind switch
                    {
                        SdpMediaKind.Audio or SdpMediaKind.Video => AnswerRtp(offer, offered, choice, options),
                        SdpMediaKind.Application => AnswerDataChannel(offered, options),
                        _ => null,
                    };
                }
            }
            plans.Add((offered, accepted));
        }

        // RFC 9143 §7.3.1: the tag is the first mid of the offer's group that we accept.
        var acceptedMids = plans.Where(p => p.Accepted is not null).Select(p => p.Offered.Mid!).ToHashSet(StringComparer.Ordinal);
        var groupMids = new List<string>();
        if (offerBundle is not null)
        {
            groupMids.AddRange(offerBundle.Mids.Where(acceptedMids.Contains).Distinct(StringComparer.Ordinal));
        }
        string? tag = groupMids.Count > 0 ? groupMids[0] : null;

        var first = options.Candidates.Count > 0 ? options.Candidates[0] : null;
        int port = first?.Port ?? 9;
        var connection = first is null
            ? SdpConnection.Ipv4Any
            : new SdpConnection("IN", first.Address.Contains(':') ? "IP6" : "IP4", first.Address);

        var media = new List<SdpMediaSection>(plans.Count);
        var streamIds = new List<string>();
        foreach (var (offered, accepted) in plans)
        {
            if (accepted is null)
            {
                media.Add(Rejected(offered, firstMidOnly: offered.Mid is not null && media.All(m => m.Mid != offered.Mid)));
                continue;
            }
            bool carriesCandidates = tag is null ? !options.RequireBundle : accepted.Mid == tag;
            media.Add(accepted with
            {
                Port = port,
                Connection = connection,
                IceUfrag = options.IceUfrag,
                IcePwd = options.IcePwd,
                Fingerprints = [options.Fingerprint],
                Setup = options.Setup,
                Candidates = carriesCandidates ? options.Candidates.ToValueList() : ValueList<SdpCandidate>.Empty,
                EndOfCandidates = carriesCandidates && options.EndOfCandidates && options.Candidates.Count > 0,
            });
            foreach (var msid in accepted.Msids)
            {
                if (msid.StreamId != "-" && !streamIds.Contains(msid.StreamId)) streamIds.Add(msid.StreamId);
            }
        }

        bool allowMixed = options.ExtmapAllowMixed && offer.ExtmapAllowMixed;
        return new SessionDescription
        {
            Origin = new SdpOrigin(options.OriginUsername, SdpText.Str(options.SessionId ?? NewSessionId()), options.SessionVersion),
            SessionName = "-",
            Timing = new SdpTiming(0, 0),
            IceLite = options.IceLite,
            Groups = groupMids.Count > 0 ? [new SdpGroup("BUNDLE", groupMids.ToValueList())] : ValueList<SdpGroup>.Empty,
            ExtmapAllowMixed = allowMixed,
            MsidSemantic = new SdpMsidSemantic("WMS", streamIds.ToValueList()),
            Media = media.ToValueList(),
        };
    }

    internal static ulong NewSessionId() =>
        BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8)) & 0x3fff_ffff_ffff_ffff;

    internal static void ValidateIce(string ufrag, string pwd)
    {
        if (ufrag.Length is < 4 or > 256 || !SdpText.IsIceChars(ufrag))
        {
            throw new ArgumentException("ICE ufrag must be 4 to 256 ice-chars", nameof(ufrag));
        }
        if (pwd.Length is < 22 or > 256 || !SdpText.IsIceChars(pwd))
        {
            throw new ArgumentException("ICE pwd must be 22 to 256 ice-chars", nameof(pwd));
        }
    }

    private static SdpMediaSection Rejected(SdpMediaSection offered, bool firstMidOnly)
    {
        // Port 0 and the offer's kind and protocol; one format (with its rtpmap, if any) so the
        // m= line stays valid; the mid so the browser can match the section.
        var format = offered.Formats.Count > 0 ? offered.Formats[0] : offered.IsSctp ? SdpProtocols.WebRtcDataChannel : "0";
        var codec = offered.IsRtp && SdpText.TryParseInt(format, 0, 127, out int pt) ? offered.FindCodec(pt) : null;
        return new SdpMediaSection
        {
            Media = offered.Media,
            Port = 0,
            Protocol = offered.Protocol,
            Formats = [format],
            Connection = SdpConnection.Ipv4Any,
            Mid = firstMidOnly ? offered.Mid : null,
            Direction = offered.IsRtp ? SdpDirection.Inactive : null,
            Codecs = codec is null ? ValueList<SdpCodec>.Empty : [codec with { RtcpFeedback = ValueList<string>.Empty }],
        };
    }

    private static SdpMediaSection? AnswerDataChannel(SdpMediaSection offered, AnswerOptions options)
    {
        if (!options.AcceptDataChannel) return null;
        bool jsepProtocol = offered.Protocol is SdpProtocols.UdpDtlsSctp or SdpProtocols.TcpDtlsSctp;
        if (!jsepProtocol || !offered.Formats.Contains(SdpProtocols.WebRtcDataChannel)) return null;
        return new SdpMediaSection
        {
            Media = offered.Media,
            Protocol = offered.Protocol,
            Formats = [SdpProtocols.WebRtcDataChannel],
            Mid = offered.Mid,
            SctpPort = offered.SctpPort ?? 5000,
            MaxMessageSize = options.MaxMessageSize,
        };
    }

    private static SdpMediaSection? AnswerRtp(SessionDescription offer, SdpMediaSection offered, MediaAnswerChoice choice,
        AnswerOptions options)
    {
        if (offered.Protocol is not (SdpProtocols.UdpTlsRtpSavpf or SdpProtocols.RtpSavpf)) return null;
        if (!offered.RtcpMux) return null;

        // Header extensions: the supported ones, with the offer's ids.
        var extmaps = new List<SdpExtmap>();
        foreach (var e in offer.ExtmapsFor(offered))
        {
            if (options.HeaderExtensions.Contains(e.Uri, StringComparer.Ordinal) && !extmaps.Exists(x => x.Id == e.Id || x.Uri == e.Uri))
            {
                extmaps.Add(new SdpExtmap(e.Id, e.Uri, e.Direction?.Reverse()));
            }
        }
        bool transportCc = extmaps.Exists(e => e.Uri == RtpHeaderExtensionUris.TransportWideCc);
        var feedback = options.RtcpFeedback
            .Where(f => transportCc || !string.Equals(f, RtcpFeedbackTypes.TransportCc, StringComparison.OrdinalIgnoreCase))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);

        // Codecs in m= line (preference) order: supported primaries, then rtx for the kept ones.
        var ordered = new List<SdpCodec>();
        foreach (var f in offered.Formats)
        {
            if (SdpText.TryParseInt(f, 0, 127, out int pt) && offered.FindCodec(pt) is { } c && !ordered.Contains(c)) ordered.Add(c);
        }
        var primaries = ordered.Where(c => options.Codecs.Accepts(offered.Kind, c)).Select(c => c.PayloadType).ToHashSet();
        if (primaries.Count == 0) return null;
        var codecs = new List<SdpCodec>();
        foreach (var c in ordered)
        {
            bool keep = primaries.Contains(c.PayloadType) || (c.IsRtx && c.AssociatedPayloadType is int apt && primaries.Contains(apt));
            if (!keep) continue;
            codecs.Add(c with { RtcpFeedback = c.RtcpFeedback.Where(feedback.Contains).ToValueList() });
        }
        var payloadTypes = codecs.Select(c => c.PayloadType).ToHashSet();

        // Direction: we send if the browser receives and we want to; we receive if it sends and we want to.
        var offeredDirection = offer.DirectionFor(offered);
        bool send = choice.Direction.Sends() && offeredDirection.Receives();
        bool receive = choice.Direction.Receives() && offeredDirection.Sends();
        var direction = SdpDirectionExtensions.FromFlags(send, receive);

        var msids = ValueList<SdpMsid>.Empty;
        var ssrcs = new List<SdpSsrc>();
        var ssrcGroups = new List<SdpSsrcGroup>();
        if (send && choice.Stream is { } stream)
        {
            var msid = MsidOf(stream);
            msids = [msid];
            ssrcs.Add(SsrcLines(stream.Ssrc, stream.Cname, msid));
            if (stream.RtxSsrc is uint rtx && codecs.Exists(c => c.IsRtx))
            {
                ssrcGroups.Add(new SdpSsrcGroup("FID", [stream.Ssrc, rtx]));
                ssrcs.Add(SsrcLines(rtx, stream.Cname, msid));
            }
        }

        // Simulcast: answer the rids the browser sends with rids we receive.
        var rids = new List<SdpRid>();
        SdpSimulcast? simulcast = null;
        if (receive && offered.Simulcast is { Send.Count: > 0 } offeredSimulcast
            && extmaps.Exists(e => e.Uri == RtpHeaderExtensionUris.RtpStreamId))
        {
            foreach (var rid in offered.Rids)
            {
                if (rid.Direction != SdpRidDirection.Send || !offeredSimulcast.SendRids.Contains(rid.Id)) continue;
                var restrictions = new List<SdpRidRestriction>();
                bool usable = true;
                foreach (var r in rid.Restrictions)
                {
                    if (string.Equals(r.Name, "pt", StringComparison.OrdinalIgnoreCase))
                    {
                        var kept = rid.PayloadTypes.Where(payloadTypes.Contains).ToList();
                        usable = kept.Count > 0;
                        restrictions.Add(new SdpRidRestriction(r.Name, string.Join(",", kept)));
                    }
                    else
                    {
                        restrictions.Add(r);
                    }
                }
                if (usable) rids.Add(new SdpRid(rid.Id, SdpRidDirection.Recv, restrictions.ToValueList()));
            }
            var streams = new List<SdpSimulcastStream>();
            foreach (var s in offeredSimulcast.Send)
            {
                var alternatives = s.Alternatives.Where(a => rids.Exists(r => r.Id == a.Id)).ToValueList();
                if (alternatives.Count > 0) streams.Add(new SdpSimulcastStream(alternatives));
            }
            if (streams.Count > 0)
            {
                simulcast = new SdpSimulcast(ValueList<SdpSimulcastStream>.Empty, streams.ToValueList());
            }
            else
            {
                rids.Clear();
            }
        }

        return new SdpMediaSection
        {
            Media = offered.Media,
            Protocol = offered.Protocol,
            Formats = codecs.Select(c => SdpText.Str(c.PayloadType)).ToValueList(),
            Mid = offered.Mid,
            Extmaps = extmaps.ToValueList(),
            ExtmapAllowMixed = options.ExtmapAllowMixed && offered.ExtmapAllowMixed,
            Direction = direction,
            Msids = msids,
            RtcpMux = true,
            RtcpRsize = offered.RtcpRsize,
            Codecs = codecs.ToValueList(),
            SsrcGroups = ssrcGroups.ToValueList(),
            Ssrcs = ssrcs.ToValueList(),
            Rids = rids.ToValueList(),
            Simulcast = simulcast,
        };
    }

    internal static SdpMsid MsidOf(SdpSendStream stream) =>
        new(SdpText.RequireVisible(stream.StreamId, nameof(stream.StreamId)), SdpText.RequireVisible(stream.TrackId, nameof(stream.TrackId)));

    internal static SdpSsrc SsrcLines(uint ssrc, string cname, SdpMsid msid) =>
        new(ssrc, [new SdpSsrcAttribute("cname", SdpText.RequireVisible(cname, nameof(cname))), new SdpSsrcAttribute("msid", msid.ToString())]);
}
