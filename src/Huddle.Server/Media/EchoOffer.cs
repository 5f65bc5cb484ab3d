using Huddle.Media.Dtls;
using Huddle.Media.Ice;

namespace Huddle.Server.Media;

/// <summary>
/// What the self-test needs from a browser's offer: ICE credentials, the DTLS fingerprint, and per media
/// section its mid, codecs, header extensions, direction and SSRCs. A deliberately small reader: the SFU
/// uses Huddle.Media's full SDP model; the echo mirrors the offer line by line.
/// </summary>
internal sealed class EchoOffer
{
    public const int MaxLines = 5000;
    public const int MaxSections = 16;

    public required string IceUfrag { get; init; }
    public required string IcePassword { get; init; }
    public required DtlsFingerprint Fingerprint { get; init; }
    public List<Section> Sections { get; } = [];
    public int SectionCount => Sections.Count;

    internal sealed class Section
    {
        public required string Kind { get; init; }
        public required string Protocol { get; init; }
        public required List<string> Formats { get; init; }
        public string? Mid { get; set; }
        public string Direction { get; set; } = "sendrecv";
        public bool RtcpRsize { get; set; }
        public List<(int Id, string Uri)> Extmaps { get; } = [];
        public Dictionary<string, string> RtpMaps { get; } = [];
        public Dictionary<string, string> Fmtps { get; } = [];
        public List<(string Pt, string Value)> RtcpFeedback { get; } = [];
        public List<uint> Ssrcs { get; } = [];
        public List<(uint Primary, uint Repair)> FidGroups { get; } = [];
    }

    public static EchoOffer Parse(string sdp)
    {
        string[] lines = sdp.Split('\n');
        if (lines.Length > MaxLines) throw Bad("The offer has too many lines.");
        string? ufrag = null, password = null, fingerprint = null;
        var sections = new List<Section>();
        Section? current = null;
        foreach (string raw in lines)
        {
            string line = raw.TrimEnd('\r');
            if (line.Length < 2 || line[1] != '=') continue;
            if (line.StartsWith("m=", StringComparison.Ordinal))
            {
                string[] parts = line[2..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length < 3) throw Bad("An m= line is malformed.");
                if (sections.Count == MaxSections) throw Bad($"The self-test takes at most {MaxSections} media sections.");
                current = new Section { Kind = parts[0], Protocol = parts[2], Formats = [.. parts.Skip(3)] };
                sections.Add(current);
                continue;
            }
            if (!line.StartsWith("a=", StringComparison.Ordinal)) continue;
            int colon = line.IndexOf(':');
            string name = colon < 0 ? line[2..] : line[2..colon];
            string value = colon < 0 ? "" : line[(colon + 1)..];
            switch (name)
            {
                case "ice-ufrag": ufrag ??= value; if (ufrag != value) throw Bad("Every section must use the same ICE credentials (BUNDLE)."); break;
                case "ice-pwd": password ??= value; if (password != value) throw Bad("Every section must use the same ICE credentials (BUNDLE)."); break;
                case "fingerprint": fingerprint ??= value; break;
                case "mid" when current is not null: current.Mid = value; break;
                case "sendrecv" or "sendonly" or "recvonly" or "inactive" when current is not null: current.Direction = name; break;
                case "rtcp-rsize" when current is not null: current.RtcpRsize = true; break;
                case "extmap" when current is not null:
                {
                    string[] p = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (p.Length >= 2 && int.TryParse(p[0].Split('/')[0], out int id) && id is >= 1 and <= 255) current.Extmaps.Add((id, p[1]));
                    break;
                }
                case "rtpmap" when current is not null:
                {
                    int space = value.IndexOf(' ');
                    if (space > 0) current.RtpMaps[value[..space]] = value[(space + 1)..];
                    break;
                }
                case "fmtp" when current is not null:
                {
                    int space = value.IndexOf(' ');
                    if (space > 0) current.Fmtps[value[..space]] = value[(space + 1)..];
                    break;
                }
                case "rtcp-fb" when current is not null:
                {
                    int space = value.IndexOf(' ');
                    if (space > 0) current.RtcpFeedback.Add((value[..space], value[(space + 1)..]));
                    break;
                }
                case "ssrc" when current is not null:
                {
                    int space = value.IndexOf(' ');
                    if (space > 0 && uint.TryParse(value[..space], out uint ssrc) && !current.Ssrcs.Contains(ssrc) && current.Ssrcs.Count < 16) current.Ssrcs.Add(ssrc);
                    break;
                }
                case "ssrc-group" when current is not null:
                {
                    string[] p = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (p.Length == 3 && p[0] == "FID" && uint.TryParse(p[1], out uint a) && uint.TryParse(p[2], out uint b)) current.FidGroups.Add((a, b));
                    break;
                }
            }
        }
        if (!IceCredentials.IsValid(ufrag, password: false) || !IceCredentials.IsValid(password, password: true))
            throw Bad("The offer has no valid a=ice-ufrag / a=ice-pwd.");
        if (!DtlsFingerprint.TryParse(fingerprint, out DtlsFingerprint? parsed) || parsed is null)
            throw Bad("The offer has no usable a=fingerprint (sha-256 expected).");
        if (!sections.Any(s => s.Kind is "audio" or "video")) throw Bad("The offer has no audio or video.");
        if (sections.Any(s => s.Mid is null || s.Mid.Length > 32)) throw Bad("Every media section needs an a=mid (BUNDLE).");
        var offer = new EchoOffer { IceUfrag = ufrag!, IcePassword = password!, Fingerprint = parsed };
        offer.Sections.AddRange(sections);
        return offer;
    }

    private static EchoException Bad(string message) => new(400, "bad-offer", message);
}
