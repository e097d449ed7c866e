/* Compiled forms of the hottest pure functions of recorder.client (irc.py, events.py).
 *
 * Every function here has a pure-Python twin that is the specification (the module works
 * without this extension); tests/client/test_speedups.py checks both give the same results on
 * real lines, corner cases and generated input. Only the standard CPython API is used.
 *
 *   parse_tags(text)    -> dict   IRCv3 tags, values unescaped (irc._parse_tags_py)
 *   parse_badges(value) -> dict   "name/version,..."            (events._parse_badges_py)
 *   split_line(line)    -> tuple | str   a line's parts, or why it is not one (irc._split_line_py)
 *   sent_at(value)      -> datetime | None   tmi-sent-ts          (events._sent_at_py)
 *   datetime_text(value) -> str | None  SQLite's time text  (store.sqlite_child.datetime_text)
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <datetime.h>

/* The unescaped form of text[start:end], which holds at least one backslash:
 * \: -> ;  \s -> space  \\ -> \  \r -> CR  \n -> LF  \x -> x  (a lone trailing \ is dropped) */
static PyObject *
unescape(int kind, const void *data, Py_ssize_t start, Py_ssize_t end)
{
    Py_ssize_t n = 0;
    Py_UCS4 *buf = PyMem_Malloc(sizeof(Py_UCS4) * (size_t)(end - start + 1));
    if (buf == NULL)
        return PyErr_NoMemory();
    for (Py_ssize_t i = start; i < end; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c == '\\') {
            if (++i == end)
                break;
            c = PyUnicode_READ(kind, data, i);
            switch (c) {
            case ':': c = ';'; break;
            case 's': c = ' '; break;
            case 'r': c = '\r'; break;
            case 'n': c = '\n'; break;
            default: break; /* \\ -> \, any other \x -> x */
            }
        }
        buf[n++] = c;
    }
    PyObject *result = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buf, n);
    PyMem_Free(buf);
    return result;
}

/* The keys of the last tags parsed, by place: a source sends the same tags in the same order
 * line after line, so the key at a place is usually the one that was there last time. Reusing
 * that object saves making the string and hashing it (the hash is cached in the object);
 * strings being immutable, a reused one is indistinguishable from a new one. (Caching values
 * the same way measured no gain: the ones that repeat are mostly "", "0" and "1", which
 * CPython already shares.) */
#define KEY_CACHE 64
static PyObject *key_cache[KEY_CACHE];
static Py_ssize_t last_count = 8;

/* text[start:end] as a key: the equal key held from the last line at this place, or a new one */
static PyObject *
tag_key(PyObject *text, int kind, const void *data, Py_ssize_t start, Py_ssize_t end,
        Py_ssize_t place)
{
    PyObject *cached = place < KEY_CACHE ? key_cache[place] : NULL;
    Py_ssize_t n = end - start;
    if (cached != NULL && kind == PyUnicode_1BYTE_KIND && PyUnicode_GET_LENGTH(cached) == n
            && PyUnicode_KIND(cached) == PyUnicode_1BYTE_KIND
            && memcmp(PyUnicode_DATA(cached), (const Py_UCS1 *)data + start, (size_t)n) == 0) {
        Py_INCREF(cached);
        return cached;
    }
    PyObject *key = PyUnicode_Substring(text, start, end);
    if (key != NULL && place < KEY_CACHE && kind == PyUnicode_1BYTE_KIND) {
        Py_INCREF(key);
        Py_XSETREF(key_cache[place], key);
    }
    return key;
}

/* One item of a list like "k=v;k=v" or "name/version,name/version": the end of the item that
 * starts at pos (the next `separator`, or length), *mark the first `delimiter` in it (-1: none),
 * *escaped whether a backslash follows that delimiter. */
static Py_ssize_t
scan_item(int kind, const void *data, Py_ssize_t pos, Py_ssize_t length, Py_UCS4 separator,
          Py_UCS4 delimiter, Py_ssize_t *mark, int *escaped)
{
    *mark = -1;
    *escaped = 0;
    for (; pos < length; pos++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, pos);
        if (c == separator)
            break;
        if (c == delimiter && *mark < 0)
            *mark = pos;
        else if (c == '\\' && *mark >= 0)
            *escaped = 1;
    }
    return pos;
}

static PyObject *
parse_tags(PyObject *module, PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "parse_tags() takes a str");
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    PyObject *tags = _PyDict_NewPresized(last_count);
    if (tags == NULL)
        return NULL;
    Py_ssize_t pos = 0, place = 0;
    while (pos <= length) {
        /* one item: text[pos:stop], key up to the first '=' */
        Py_ssize_t equals;
        int escaped;
        Py_ssize_t stop = scan_item(kind, data, pos, length, ';', '=', &equals, &escaped);
        Py_ssize_t key_end = equals < 0 ? stop : equals;
        if (key_end > pos) {
            PyObject *key = tag_key(text, kind, data, pos, key_end, place);
            PyObject *value;
            if (key == NULL)
                goto error;
            if (equals < 0)
                value = PyUnicode_New(0, 0);
            else if (escaped)
                value = unescape(kind, data, equals + 1, stop);
            else
                value = PyUnicode_Substring(text, equals + 1, stop);
            place++;
            if (value == NULL) {
                Py_DECREF(key);
                goto error;
            }
            int failed = PyDict_SetItem(tags, key, value);
            Py_DECREF(key);
            Py_DECREF(value);
            if (failed)
                goto error;
        }
        pos = stop + 1;
    }
    last_count = place;
    return tags;
error:
    Py_DECREF(tags);
    return NULL;
}

static PyObject *
parse_badges(PyObject *module, PyObject *value)
{
    if (value == Py_None)
        return PyDict_New();
    if (!PyUnicode_Check(value)) {
        PyErr_SetString(PyExc_TypeError, "parse_badges() takes a str or None");
        return NULL;
    }
    int kind = PyUnicode_KIND(value);
    const void *data = PyUnicode_DATA(value);
    Py_ssize_t length = PyUnicode_GET_LENGTH(value);
    PyObject *badges = PyDict_New();
    if (badges == NULL)
        return NULL;
    Py_ssize_t pos = 0;
    while (pos < length) {
        Py_ssize_t slash;
        int escaped; /* unused: versions are not escaped */
        Py_ssize_t stop = scan_item(kind, data, pos, length, ',', '/', &slash, &escaped);
        if (stop > pos) {
            Py_ssize_t name_end = slash < 0 ? stop : slash;
            PyObject *name = PyUnicode_Substring(value, pos, name_end);
            PyObject *version = slash < 0 ? PyUnicode_New(0, 0)
                                          : PyUnicode_Substring(value, slash + 1, stop);
            int failed = name == NULL || version == NULL || PyDict_SetItem(badges, name, version);
            Py_XDECREF(name);
            Py_XDECREF(version);
            if (failed) {
                Py_DECREF(badges);
                return NULL;
            }
        }
        pos = stop + 1;
    }
    return badges;
}

/* --- lines ------------------------------------------------------------------------------ */

static Py_ssize_t
find_char(int kind, const void *data, Py_ssize_t from, Py_ssize_t end, Py_UCS4 wanted)
{
    for (Py_ssize_t i = from; i < end; i++)
        if (PyUnicode_READ(kind, data, i) == wanted)
            return i;
    return -1;
}

static int
is_ascii_alnum(Py_UCS4 c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static PyObject *
split_line(PyObject *module, PyObject *line)
{
    if (!PyUnicode_Check(line)) {
        PyErr_SetString(PyExc_TypeError, "split_line() takes a str");
        return NULL;
    }
    int kind = PyUnicode_KIND(line);
    const void *data = PyUnicode_DATA(line);
    Py_ssize_t end = PyUnicode_GET_LENGTH(line);
    if (end > 0 && PyUnicode_READ(kind, data, end - 1) == '\n')
        end -= (end > 1 && PyUnicode_READ(kind, data, end - 2) == '\r') ? 2 : 1;
    if (end == 0)
        return PyUnicode_FromString("empty line");
    for (Py_ssize_t i = 0; i < end; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c == '\r' || c == '\n' || c == 0)
            return PyUnicode_FromString("CR, LF or NUL inside a line");
    }
    Py_ssize_t pos = 0, tags_end = 0, prefix_start = -1, prefix_end = -1, bang = -1;
    if (PyUnicode_READ(kind, data, 0) == '@') {
        tags_end = find_char(kind, data, 0, end, ' ');
        if (tags_end < 0)
            return PyUnicode_FromString("tags without a command");
        pos = tags_end + 1;
        while (pos < end && PyUnicode_READ(kind, data, pos) == ' ')
            pos++;
    }
    if (pos < end && PyUnicode_READ(kind, data, pos) == ':') {
        Py_ssize_t space = find_char(kind, data, pos, end, ' ');
        if (space <= pos + 1)
            return PyUnicode_FromString("prefix without a command");
        prefix_start = pos + 1;
        prefix_end = space;
        bang = find_char(kind, data, prefix_start, prefix_end, '!');
        pos = space + 1;
        while (pos < end && PyUnicode_READ(kind, data, pos) == ' ')
            pos++;
    }
    Py_ssize_t colon = -1;
    for (Py_ssize_t i = pos; i + 1 < end; i++)
        if (PyUnicode_READ(kind, data, i) == ' ' && PyUnicode_READ(kind, data, i + 1) == ':') {
            colon = i;
            break;
        }
    Py_ssize_t middle_end = colon < 0 ? end : colon;
    /* the command: the first word of the middle */
    Py_ssize_t command_start = pos;
    while (command_start < middle_end && PyUnicode_READ(kind, data, command_start) == ' ')
        command_start++;
    if (command_start == middle_end)
        return PyUnicode_FromString("no command");
    Py_ssize_t command_end = command_start;
    while (command_end < middle_end && PyUnicode_READ(kind, data, command_end) != ' ') {
        if (!is_ascii_alnum(PyUnicode_READ(kind, data, command_end)))
            return PyUnicode_FromString("invalid command");
        command_end++;
    }
    PyObject *params = PyList_New(0), *raw = NULL, *tag_text = NULL, *prefix = NULL,
             *nick = NULL, *command = NULL, *item = NULL;
    if (params == NULL)
        return NULL;
    for (Py_ssize_t i = command_end; i < middle_end;) {
        if (PyUnicode_READ(kind, data, i) == ' ') {
            i++;
            continue;
        }
        Py_ssize_t word_end = find_char(kind, data, i, middle_end, ' ');
        if (word_end < 0)
            word_end = middle_end;
        item = PyUnicode_Substring(line, i, word_end);
        if (item == NULL || PyList_Append(params, item))
            goto error;
        Py_CLEAR(item);
        i = word_end;
    }
    if (colon >= 0) {
        item = PyUnicode_Substring(line, colon + 2, end);
        if (item == NULL || PyList_Append(params, item))
            goto error;
        Py_CLEAR(item);
    }
    raw = PyUnicode_Substring(line, 0, end); /* the line itself when nothing was cut */
    tag_text = tags_end > 0 ? PyUnicode_Substring(line, 1, tags_end) : PyUnicode_New(0, 0);
    if (prefix_start >= 0) {
        prefix = PyUnicode_Substring(line, prefix_start, prefix_end);
        nick = bang > prefix_start ? PyUnicode_Substring(line, prefix_start, bang) : Py_NewRef(Py_None);
    } else {
        prefix = Py_NewRef(Py_None);
        nick = Py_NewRef(Py_None);
    }
    command = PyUnicode_Substring(line, command_start, command_end);
    if (raw == NULL || tag_text == NULL || prefix == NULL || nick == NULL || command == NULL)
        goto error;
    PyObject *parts = PyTuple_New(6);
    if (parts == NULL)
        goto error;
    PyTuple_SET_ITEM(parts, 0, raw); /* the tuple takes the references */
    PyTuple_SET_ITEM(parts, 1, tag_text);
    PyTuple_SET_ITEM(parts, 2, prefix);
    PyTuple_SET_ITEM(parts, 3, nick);
    PyTuple_SET_ITEM(parts, 4, command);
    PyTuple_SET_ITEM(parts, 5, params);
    return parts;
error:
    Py_XDECREF(item);
    Py_XDECREF(raw);
    Py_XDECREF(tag_text);
    Py_XDECREF(prefix);
    Py_XDECREF(nick);
    Py_XDECREF(command);
    Py_DECREF(params);
    return NULL;
}

/* --- times ------------------------------------------------------------------------------ */

static PyObject *utc; /* datetime.timezone.utc */

/* Days since 1970-01-01 -> proleptic Gregorian (year, month, day) (H. Hinnant's algorithm) */
static void
civil_from_days(long long z, long long *year, int *month, int *day)
{
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = yoe + era * 400 + (*month <= 2);
}

/* tmi-sent-ts: epoch milliseconds as ASCII digits (a leading '-' allowed) -> aware UTC
 * datetime; None for anything else or out of datetime's range (years 1-9999) */
static PyObject *
sent_at(PyObject *module, PyObject *value)
{
    if (value == Py_None)
        Py_RETURN_NONE;
    if (!PyUnicode_Check(value)) {
        PyErr_SetString(PyExc_TypeError, "sent_at() takes a str or None");
        return NULL;
    }
    Py_ssize_t length = PyUnicode_GET_LENGTH(value);
    if (PyUnicode_KIND(value) != PyUnicode_1BYTE_KIND || length == 0)
        Py_RETURN_NONE;
    const Py_UCS1 *text = PyUnicode_1BYTE_DATA(value);
    Py_ssize_t i = text[0] == '-' ? 1 : 0;
    if (i == length)
        Py_RETURN_NONE;
    long long ms = 0;
    int significant = 0;
    for (; i < length; i++) {
        if (text[i] < '0' || text[i] > '9')
            Py_RETURN_NONE;
        if (significant || text[i] != '0')
            significant++;
        if (significant > 16) /* past year 9999 either way (and past long long soon) */
            Py_RETURN_NONE;
        ms = ms * 10 + (text[i] - '0');
    }
    if (text[0] == '-')
        ms = -ms;
    long long days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
    long long in_day = ms - days * 86400000;
    long long year;
    int month, day;
    civil_from_days(days, &year, &month, &day);
    if (year < 1 || year > 9999)
        Py_RETURN_NONE;
    int seconds = (int)(in_day / 1000);
    return PyDateTimeAPI->DateTime_FromDateAndTime(
        (int)year, month, day, seconds / 3600, seconds / 60 % 60, seconds % 60,
        (int)(in_day % 1000) * 1000, utc, PyDateTimeAPI->DateTimeType);
}

/* An aware datetime -> "YYYY-MM-DD HH:MM:SS.ffffff" in UTC, as SQLAlchemy's SQLite DATETIME
 * stores it (naive: ValueError; None: None). */
static PyObject *
datetime_text(PyObject *module, PyObject *value)
{
    if (value == Py_None)
        Py_RETURN_NONE;
    if (!PyDateTime_Check(value)) {
        PyErr_SetString(PyExc_TypeError, "datetime_text() takes a datetime or None");
        return NULL;
    }
    PyObject *tz = PyDateTime_DATE_GET_TZINFO(value), *moved = NULL;
    if (tz == Py_None) {
        PyErr_Format(PyExc_ValueError, "naive datetime %R: times must be timezone-aware", value);
        return NULL;
    }
    if (tz != utc) { /* another zone: to UTC when its offset is not zero */
        PyObject *offset = PyObject_CallMethod(value, "utcoffset", NULL);
        if (offset == NULL)
            return NULL;
        int nonzero = PyObject_IsTrue(offset);
        Py_DECREF(offset);
        if (nonzero < 0)
            return NULL;
        if (nonzero) {
            moved = PyObject_CallMethod(value, "astimezone", "O", utc);
            if (moved == NULL)
                return NULL;
            value = moved;
        }
    }
    char text[40];
    int n = snprintf(text, sizeof text, "%04d-%02d-%02d %02d:%02d:%02d.%06d",
                     PyDateTime_GET_YEAR(value), PyDateTime_GET_MONTH(value),
                     PyDateTime_GET_DAY(value), PyDateTime_DATE_GET_HOUR(value),
                     PyDateTime_DATE_GET_MINUTE(value), PyDateTime_DATE_GET_SECOND(value),
                     PyDateTime_DATE_GET_MICROSECOND(value));
    Py_XDECREF(moved);
    return PyUnicode_FromStringAndSize(text, n);
}

static PyMethodDef methods[] = {
    {"parse_tags", parse_tags, METH_O, "IRCv3 tag text -> {key: unescaped value}."},
    {"parse_badges", parse_badges, METH_O, "'name/version,...' -> {name: version}."},
    {"split_line", split_line, METH_O,
     "line -> (line without CRLF, tag_text, prefix, nick, command, params), or the reason it is not a line."},
    {"sent_at", sent_at, METH_O, "tmi-sent-ts (epoch ms) -> aware UTC datetime, or None."},
    {"datetime_text", datetime_text, METH_O,
     "aware datetime -> 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC (None: None)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_speedups",
    .m_doc = "Compiled twins of recorder.client's hottest pure functions.",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL)
        return NULL;
    utc = PyDateTimeAPI->TimeZone_UTC;
    Py_INCREF(utc);
    return PyModule_Create(&module);
}
