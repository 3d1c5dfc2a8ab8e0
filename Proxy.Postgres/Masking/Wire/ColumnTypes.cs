using System.Collections.Frozen;

namespace HoopProxy.Postgres.Masking.Wire;

/// <summary>The built-in type OIDs masking needs to know (pg_type.dat); anything else is <see cref="ValueKind.Other"/>.</summary>
public static class ColumnTypes
{
    private static readonly FrozenDictionary<uint, ValueKind> Kinds = new Dictionary<uint, ValueKind>
    {
        // text-like
        [25] = ValueKind.Text, [1043] = ValueKind.Text, [1042] = ValueKind.Text, [19] = ValueKind.Text, [18] = ValueKind.Text, [705] = ValueKind.Text,
        [114] = ValueKind.Json, [3802] = ValueKind.Jsonb, [142] = ValueKind.Xml,
        // arrays of text-like elements: _text, _varchar, _bpchar, _name, _char, _json, _jsonb, _xml
        [1009] = ValueKind.TextArray, [1015] = ValueKind.TextArray, [1014] = ValueKind.TextArray, [1003] = ValueKind.TextArray,
        [1002] = ValueKind.TextArray, [199] = ValueKind.TextArray, [3807] = ValueKind.TextArray, [143] = ValueKind.TextArray,
        // not text: bool, bytea, int2/4/8, oid and reg* types, tid, xid, cid, float4/8, money, inet, cidr, macaddr(8), date,
        // time(tz), timestamp(tz), interval, bit, varbit, numeric, uuid, pg_lsn, xid8
        [16] = ValueKind.NonText, [17] = ValueKind.NonText, [20] = ValueKind.NonText, [21] = ValueKind.NonText, [23] = ValueKind.NonText,
        [24] = ValueKind.NonText, [26] = ValueKind.NonText, [27] = ValueKind.NonText, [28] = ValueKind.NonText, [29] = ValueKind.NonText,
        [700] = ValueKind.NonText, [701] = ValueKind.NonText, [790] = ValueKind.NonText, [869] = ValueKind.NonText, [650] = ValueKind.NonText,
        [829] = ValueKind.NonText, [774] = ValueKind.NonText, [1082] = ValueKind.NonText, [1083] = ValueKind.NonText, [1114] = ValueKind.NonText,
        [1184] = ValueKind.NonText, [1186] = ValueKind.NonText, [1266] = ValueKind.NonText, [1560] = ValueKind.NonText, [1562] = ValueKind.NonText,
        [1700] = ValueKind.NonText, [2950] = ValueKind.NonText, [3220] = ValueKind.NonText, [5069] = ValueKind.NonText,
        [2202] = ValueKind.NonText, [2203] = ValueKind.NonText, [2204] = ValueKind.NonText, [2205] = ValueKind.NonText, [2206] = ValueKind.NonText,
        [4089] = ValueKind.NonText, [4096] = ValueKind.NonText, [3734] = ValueKind.NonText, [3769] = ValueKind.NonText, [4191] = ValueKind.NonText,
        // their arrays
        [1000] = ValueKind.NonText, [1001] = ValueKind.NonText, [1005] = ValueKind.NonText, [1007] = ValueKind.NonText, [1016] = ValueKind.NonText,
        [1028] = ValueKind.NonText, [1021] = ValueKind.NonText, [1022] = ValueKind.NonText, [791] = ValueKind.NonText, [1041] = ValueKind.NonText,
        [651] = ValueKind.NonText, [1040] = ValueKind.NonText, [1182] = ValueKind.NonText, [1183] = ValueKind.NonText, [1115] = ValueKind.NonText,
        [1185] = ValueKind.NonText, [1187] = ValueKind.NonText, [1270] = ValueKind.NonText, [1561] = ValueKind.NonText, [1563] = ValueKind.NonText,
        [1231] = ValueKind.NonText, [2951] = ValueKind.NonText,
    }.ToFrozenDictionary();

    public static ValueKind KindOf(uint typeOid) => Kinds.TryGetValue(typeOid, out var kind) ? kind : ValueKind.Other;
}
