using System.Globalization;

namespace TopKLoss.Cli.Data;

/// <summary>
/// The <c>--groups FILE</c> format: one line per group (superclass).
/// <code>
/// # comments and blank lines are ignored
/// tops: 0, 2, 4, 6                 # optional "name:" prefix; members separated by commas ...
/// footwear: Sandal, Sneaker, Ankle boot
/// 1 3 8                            # ... or by whitespace when the line has no comma (group named "group3")
/// </code>
/// A member is a class index in [0, classes) or else a class name (exact, else case-insensitive), else
/// one of the dataset's aliases (synthetic: the names of earlier versions, "g03-c003"). On a line
/// without commas a name may still hold spaces ("class 3 class 7", "Sandal Sneaker Ankle boot"): a word
/// that is no member on its own is joined with the words after it until the words make one.
/// Every class must be in exactly one group: a class listed twice or in no group is an error, as is
/// an unknown name, an index out of range or an empty group. Errors name the file and the line.
/// </summary>
public static class GroupsFile
{
    public static Groups Read(string path, IReadOnlyList<string> classNames, IReadOnlyList<string>? aliases = null)
    {
        string[] lines;
        try { lines = File.ReadAllLines(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--groups: cannot read {path}: {e.Message}");
        }
        return Parse(path, lines, classNames, aliases);
    }

    public static Groups Parse(string path, IReadOnlyList<string> lines, IReadOnlyList<string> classNames, IReadOnlyList<string>? aliases = null)
    {
        int classCount = classNames.Count;
        var groupOf = Enumerable.Repeat(-1, classCount).ToArray();
        var lineOf = new int[classCount];
        var names = new List<string>();
        for (int l = 0; l < lines.Count; l++)
        {
            int lineNumber = l + 1;
            string line = lines[l];
            int hash = line.IndexOf('#');
            if (hash >= 0) line = line[..hash];
            line = line.Trim();
            if (line.Length == 0) continue;

            string name = $"group{names.Count}";
            int colon = line.IndexOf(':');
            if (colon >= 0)
            {
                name = line[..colon].Trim();
                line = line[(colon + 1)..];
                if (name.Length == 0) name = $"group{names.Count}";
            }
            List<int> members;
            if (line.Contains(','))
            {
                members = [];
                foreach (var member in line.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    int c = Resolve(member, classNames, aliases);
                    if (c < 0) throw Unknown(path, lineNumber, member, classCount);
                    members.Add(c);
                }
            }
            else members = Words(path, lineNumber, line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries), classNames, aliases);
            if (members.Count == 0)
                throw new UsageException($"{path}:{lineNumber}: group \"{name}\" has no classes");

            int group = names.Count;
            names.Add(name);
            foreach (int c in members)
            {
                if (groupOf[c] >= 0)
                    throw new UsageException($"{path}:{lineNumber}: class {c} ({classNames[c]}) is already in group \"{names[groupOf[c]]}\" (line {lineOf[c]}); each class belongs to one group");
                groupOf[c] = group;
                lineOf[c] = lineNumber;
            }
        }
        if (names.Count == 0)
            throw new UsageException($"{path}: no groups (expected one line per group of class indices or names)");
        var missing = Enumerable.Range(0, classCount).Where(c => groupOf[c] < 0).ToArray();
        if (missing.Length > 0)
            throw new UsageException($"{path}: {missing.Length} class(es) are in no group, e.g. {string.Join(", ", missing.Take(5).Select(c => $"{c} ({classNames[c]})"))}; every class must be in one group");
        return new Groups(groupOf, names);
    }

    /// <summary>
    /// Members of a line without commas: each word is a member, or else the start of a name with
    /// spaces, joined with the fewest following words that make one ("class 3", "Ankle boot").
    /// </summary>
    private static List<int> Words(string path, int lineNumber, string[] words, IReadOnlyList<string> classNames,
        IReadOnlyList<string>? aliases)
    {
        var members = new List<int>();
        for (int i = 0; i < words.Length;)
        {
            int found = -1, end = i;
            for (int j = i; j < words.Length && found < 0; j++)
            {
                found = Resolve(string.Join(' ', words[i..(j + 1)]), classNames, aliases);
                end = j;
            }
            if (found < 0) throw Unknown(path, lineNumber, words[i], classNames.Count);
            members.Add(found);
            i = end + 1;
        }
        return members;
    }

    private static UsageException Unknown(string path, int lineNumber, string member, int classCount) => new(
        int.TryParse(member, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)
            ? $"{path}:{lineNumber}: class index {member} is out of range [0, {classCount})"
            : $"{path}:{lineNumber}: unknown class \"{member}\" (neither an index in [0, {classCount}) nor a class name)");

    private static int Resolve(string member, IReadOnlyList<string> classNames, IReadOnlyList<string>? aliases)
    {
        // An index first; a number out of range may still be a class name (Pl@ntNet species ids).
        if (int.TryParse(member, NumberStyles.Integer, CultureInfo.InvariantCulture, out int index)
            && index >= 0 && index < classNames.Count)
            return index;
        for (int c = 0; c < classNames.Count; c++)
            if (classNames[c] == member) return c;
        int found = -1;
        for (int c = 0; c < classNames.Count; c++)
            if (string.Equals(classNames[c], member, StringComparison.OrdinalIgnoreCase))
            {
                if (found >= 0) return -1; // ambiguous
                found = c;
            }
        if (found < 0 && aliases is not null)
            for (int c = 0; c < aliases.Count && c < classNames.Count; c++)
                if (string.Equals(aliases[c], member, StringComparison.OrdinalIgnoreCase)) return c;
        return found;
    }
}
