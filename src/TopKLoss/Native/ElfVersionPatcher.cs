using System.Buffers.Binary;
using System.Text;

namespace TopKLoss.Native;

/// <summary>
/// Marks a symbol-version requirement of an ELF64 little-endian shared object as weak
/// (VER_FLG_WEAK in its Vernaux entry), so that the dynamic loader accepts a system library
/// that lacks that version. See docs/platform.md: libLibTorchSharp.so asks for
/// GLIBCXX_3.4.32 only to pin the libstdc++ version; no symbol it calls needs it.
/// </summary>
internal static class ElfVersionPatcher
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    /// <summary>Sets VER_FLG_WEAK on every Vernaux named <paramref name="version"/>.</summary>
    /// <returns>true if at least one entry changed (false if absent or already weak).</returns>
    /// <exception cref="InvalidDataException">The bytes are not a well-formed ELF64 LE object.</exception>
    public static bool MarkVersionWeak(Span<byte> elf, string version)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F'
            || elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("not an ELF64 little-endian object");

        long shoff = (long)BinaryPrimitives.ReadUInt64LittleEndian(elf[0x28..]);
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(elf[0x3A..]);
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(elf[0x3C..]);
        Check(shoff >= 0 && shentsize >= 64 && shoff + (long)shnum * shentsize <= elf.Length, "section header table");

        var wanted = Encoding.ASCII.GetBytes(version);
        bool changed = false;
        for (int s = 0; s < shnum; s++)
        {
            var sh = elf.Slice((int)(shoff + s * shentsize), 64);
            if (BinaryPrimitives.ReadUInt32LittleEndian(sh[4..]) != ShtGnuVerneed) continue;

            long offset = (long)BinaryPrimitives.ReadUInt64LittleEndian(sh[24..]);
            int link = (int)BinaryPrimitives.ReadUInt32LittleEndian(sh[40..]);
            int count = (int)BinaryPrimitives.ReadUInt32LittleEndian(sh[44..]);
            Check(link < shnum, "verneed string table link");
            var strtab = elf.Slice((int)(shoff + link * shentsize), 64);
            long strOffset = (long)BinaryPrimitives.ReadUInt64LittleEndian(strtab[24..]);
            long strSize = (long)BinaryPrimitives.ReadUInt64LittleEndian(strtab[32..]);
            Check(strOffset + strSize <= elf.Length, "string table");

            long need = offset;
            for (int i = 0; i < count; i++)
            {
                Check(need + 16 <= elf.Length, "Verneed entry");
                int auxCount = BinaryPrimitives.ReadUInt16LittleEndian(elf[(int)(need + 2)..]);
                long aux = need + BinaryPrimitives.ReadUInt32LittleEndian(elf[(int)(need + 8)..]);
                for (int a = 0; a < auxCount; a++)
                {
                    Check(aux + 16 <= elf.Length, "Vernaux entry");
                    long name = strOffset + BinaryPrimitives.ReadUInt32LittleEndian(elf[(int)(aux + 8)..]);
                    Check(name + wanted.Length < strOffset + strSize, "version name");
                    if (elf.Slice((int)name, wanted.Length).SequenceEqual(wanted) && elf[(int)name + wanted.Length] == 0)
                    {
                        var flags = elf.Slice((int)aux + 4, 2);
                        ushort old = BinaryPrimitives.ReadUInt16LittleEndian(flags);
                        if ((old & VerFlgWeak) == 0)
                        {
                            BinaryPrimitives.WriteUInt16LittleEndian(flags, (ushort)(old | VerFlgWeak));
                            changed = true;
                        }
                    }
                    aux += BinaryPrimitives.ReadUInt32LittleEndian(elf[(int)(aux + 12)..]);
                }
                need += BinaryPrimitives.ReadUInt32LittleEndian(elf[(int)(need + 12)..]);
            }
        }
        return changed;
    }

    private static void Check(bool ok, string what)
    {
        if (!ok) throw new InvalidDataException($"malformed ELF: {what} out of bounds");
    }
}
