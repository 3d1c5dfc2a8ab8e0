namespace HoopProxy.Postgres.Masking.Wire;

/// <summary>How masking treats a column's values, by the column's type.</summary>
public enum ValueKind
{
    /// <summary>Numbers, dates, booleans, bytea, uuids and their arrays: detectors do not scan them; a column rule sends NULL.</summary>
    NonText,

    /// <summary>text, varchar, char, name, unknown: the binary form is the UTF-8 text, so masked text is valid in both formats.</summary>
    Text,

    /// <summary>json: text in both formats; a column rule writes a JSON string so the value stays valid JSON.</summary>
    Json,

    /// <summary>jsonb: as json, with the binary form's leading version byte.</summary>
    Jsonb,

    /// <summary>xml: text in both formats; a column rule sends NULL (a masked text is rarely a well-formed document).</summary>
    Xml,

    /// <summary>Arrays of text-like elements: detectors mask elements (binary) or scan the array literal (text); a column rule sends NULL.</summary>
    TextArray,

    /// <summary>
    /// Every other type (extensions such as citext, enums, geometric and text-search types): masked as text in text
    /// format; in binary format the layout is unknown, so a value with anything to mask becomes NULL.
    /// </summary>
    Other,
}
