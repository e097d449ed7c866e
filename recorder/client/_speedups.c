/* Compiled forms of the hottest pure functions of the recorder (client and store).
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
 *   wire_row(values, json_at, time_at, raw_at, index) -> list
 *                       a projection row as the SQLite writer process binds it
 *                                                              (store.sqlite_proc._wire_row_py)
 *   pack_raws(items, start, raws, groups, layouts, layout, record_type) -> (stop, rows)
 *                       pack_batch's work on a run of raw records (store.sqlite_proc._pack_raws_py)
 *   privmsg_rows(tags, channel, nick, text, received_at) -> list
 *                       the projection rows of a PRIVMSG  (store.projections._privmsg_rows_py)
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

/* --- rows for the SQLite writer process ---------------------------------------------------- */

static PyObject *orjson_dumps; /* imported on first need */

/* a JSON column's value -> orjson.dumps(value).decode() (store.sqlite_bulk.json_text; a JSON
 * writer of our own measured 0.93 us for a line's tags against orjson's 0.63) */
static PyObject *
json_text(PyObject *value)
{
    if (orjson_dumps == NULL) {
        PyObject *orjson = PyImport_ImportModule("orjson");
        if (orjson == NULL)
            return NULL;
        orjson_dumps = PyObject_GetAttrString(orjson, "dumps");
        Py_DECREF(orjson);
        if (orjson_dumps == NULL)
            return NULL;
    }
    PyObject *blob = PyObject_CallOneArg(orjson_dumps, value);
    if (blob == NULL)
        return NULL;
    PyObject *text = PyBytes_Check(blob)
        ? PyUnicode_DecodeUTF8(PyBytes_AS_STRING(blob), PyBytes_GET_SIZE(blob), NULL)
        : PyObject_CallMethod(blob, "decode", NULL);
    Py_DECREF(blob);
    return text;
}

/* a column place (an int, negative from the end) -> 0 <= place < size, as list indexing takes it */
static Py_ssize_t
place_in(PyObject *place, Py_ssize_t size)
{
    if (!PyIndex_Check(place)) {
        PyErr_Format(PyExc_TypeError, "list indices must be integers, not %.100s",
                     Py_TYPE(place)->tp_name);
        return -1;
    }
    Py_ssize_t at = PyNumber_AsSsize_t(place, PyExc_IndexError);
    if (at == -1 && PyErr_Occurred())
        return -1;
    if (at < 0)
        at += size;
    if (at < 0 || at >= size) {
        PyErr_SetString(PyExc_IndexError, "list index out of range");
        return -1;
    }
    return at;
}

/* values (a dict) -> the row as the writer process binds it: JSON columns (places json_at) as
 * their text, times (time_at) as SQLite's text, `index` at raw_at (None: appended) */
static PyObject *
make_wire_row(PyObject *module, PyObject *values, PyObject *json_at, PyObject *time_at,
              PyObject *raw_at, PyObject *index)
{
    if (!PyDict_Check(values) || !PyTuple_Check(json_at) || !PyTuple_Check(time_at)) {
        PyErr_SetString(PyExc_TypeError, "wire_row(values: dict, json_at: tuple, time_at: tuple, raw_at, index)");
        return NULL;
    }
    Py_ssize_t size = PyDict_GET_SIZE(values), pos = 0, i = 0;
    PyObject *row = PyList_New(size); /* every slot filled before any other code runs */
    PyObject *key, *value;
    if (row == NULL)
        return NULL;
    while (PyDict_Next(values, &pos, &key, &value) && i < size)
        PyList_SET_ITEM(row, i++, Py_NewRef(value));
    for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(json_at); j++) {
        Py_ssize_t at = place_in(PyTuple_GET_ITEM(json_at, j), size);
        if (at < 0)
            goto error;
        PyObject *old = PyList_GET_ITEM(row, at);
        if (old == Py_None)
            continue;
        PyObject *text = json_text(old);
        if (text == NULL || PyList_SetItem(row, at, text))
            goto error;
    }
    for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(time_at); j++) {
        Py_ssize_t at = place_in(PyTuple_GET_ITEM(time_at, j), size);
        if (at < 0)
            goto error;
        PyObject *text = datetime_text(module, PyList_GET_ITEM(row, at));
        if (text == NULL || PyList_SetItem(row, at, text))
            goto error;
    }
    if (raw_at == Py_None) {
        if (PyList_Append(row, index))
            goto error;
    } else {
        Py_ssize_t at = place_in(raw_at, size);
        if (at < 0 || PyList_SetItem(row, at, Py_NewRef(index)))
            goto error;
    }
    return row;
error:
    Py_DECREF(row);
    return NULL;
}

static PyObject *
wire_row(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "wire_row(values: dict, json_at: tuple, time_at: tuple, raw_at, index)");
        return NULL;
    }
    return make_wire_row(module, args[0], args[1], args[2], args[3], args[4]);
}

static PyObject *S_one;
static PyObject *A_session_id, *A_command, *A_line, *A_parse_error, *A_rows, *A_received_at,
    *A_channel;

/* Where the rows of one (table, columns) go: their key, layout and group. One projection makes
 * the rows of a table with the same column objects in the same order, so the slot used last
 * for that table usually serves: checked column by column by identity, it saves making the
 * key tuple and hashing it twice a row. (A slot keeps the group it found in `groups` for the
 * call: the `layout` callable, the only code run meanwhile, must not rebind its entries.) */
#define SLOTS 8
typedef struct {
    PyObject *key, *plan, *group;
} Slot;

typedef struct {
    Slot slots[SLOTS];
    int next;
    PyObject *groups, *layouts, *layout;
} Packer;

static Slot *
find_slot(Packer *p, PyObject *table, PyObject *values)
{
    Py_ssize_t size = PyDict_GET_SIZE(values), pos, i;
    PyObject *column, *value;
    for (int n = 0; n < SLOTS && p->slots[n].key != NULL; n++) {
        PyObject *columns = PyTuple_GET_ITEM(p->slots[n].key, 1);
        if (PyTuple_GET_ITEM(p->slots[n].key, 0) != table || PyTuple_GET_SIZE(columns) != size)
            continue;
        for (pos = 0, i = 0; PyDict_Next(values, &pos, &column, &value); i++)
            if (column != PyTuple_GET_ITEM(columns, i))
                break;
        if (i == size)
            return &p->slots[n];
    }
    PyObject *columns = PyTuple_New(size), *key = NULL, *plan = NULL, *group = NULL;
    if (columns == NULL)
        return NULL;
    for (pos = 0, i = 0; PyDict_Next(values, &pos, &column, &value) && i < size; i++)
        PyTuple_SET_ITEM(columns, i, Py_NewRef(column));
    key = PyTuple_Pack(2, table, columns);
    if (key == NULL)
        goto error;
    plan = PyDict_GetItemWithError(p->layouts, key);
    if (plan != NULL)
        Py_INCREF(plan);
    else if (!PyErr_Occurred())
        plan = PyObject_CallFunctionObjArgs(p->layout, table, columns, NULL);
    if (plan == NULL)
        goto error;
    if (!PyTuple_Check(plan) || PyTuple_GET_SIZE(plan) != 3) {
        PyErr_SetString(PyExc_TypeError, "a layout must be (json_at, time_at, raw_at)");
        goto error;
    }
    group = PyDict_GetItemWithError(p->groups, key);
    if (group != NULL)
        Py_INCREF(group);
    else if (PyErr_Occurred() || (group = PyList_New(0)) == NULL || PyDict_SetItem(p->groups, key, group))
        goto error;
    Py_DECREF(columns);
    Slot *slot = &p->slots[p->next];
    p->next = (p->next + 1) % SLOTS;
    Py_XSETREF(slot->key, key);
    Py_XSETREF(slot->plan, plan);
    Py_XSETREF(slot->group, group);
    return slot;
error:
    Py_DECREF(columns);
    Py_XDECREF(key);
    Py_XDECREF(plan);
    Py_XDECREF(group);
    return NULL;
}

/* One raw record into pack_batch's raws and groups; the number of rows added (-1: error).
 * Everything used across a call that may run Python code (attribute getters, the `layout`
 * callable, a tzinfo) is held by a strong reference of our own. */
static Py_ssize_t
pack_record(PyObject *module, PyObject *item, PyObject *raws, Packer *p)
{
    static PyObject **fields[] = {&A_session_id, &A_received_at, &A_channel, &A_command, &A_line,
                                  &A_parse_error};
    PyObject *got[6] = {NULL}, *index = NULL, *raw = NULL, *rows = NULL;
    Py_ssize_t added = -1;
    for (int f = 0; f < 6; f++) {
        got[f] = PyObject_GetAttr(item, *fields[f]);
        if (got[f] != NULL && f == 1)
            Py_SETREF(got[f], datetime_text(module, got[f]));
        if (got[f] == NULL)
            goto done;
    }
    raw = PyTuple_Pack(6, got[0], got[1], got[2], got[3], got[4], got[5]);
    index = PyLong_FromSsize_t(PyList_GET_SIZE(raws));
    if (raw == NULL || index == NULL || PyList_Append(raws, raw))
        goto done;
    PyObject *given = PyObject_GetAttr(item, A_rows);
    rows = given == NULL ? NULL : PySequence_List(given); /* our own copy of the list */
    Py_XDECREF(given);
    if (rows == NULL)
        goto done;
    for (Py_ssize_t r = 0; r < PyList_GET_SIZE(rows); r++) {
        PyObject *pair = PySequence_Tuple(PyList_GET_ITEM(rows, r)); /* our own (table, values) */
        PyObject *row = NULL;
        if (pair == NULL)
            goto done;
        if (PyTuple_GET_SIZE(pair) != 2 || !PyDict_Check(PyTuple_GET_ITEM(pair, 1))) {
            PyErr_SetString(PyExc_TypeError, "a row must be (table, values: dict)");
        } else {
            Slot *slot = find_slot(p, PyTuple_GET_ITEM(pair, 0), PyTuple_GET_ITEM(pair, 1));
            row = slot == NULL ? NULL
                : make_wire_row(module, PyTuple_GET_ITEM(pair, 1), PyTuple_GET_ITEM(slot->plan, 0),
                                PyTuple_GET_ITEM(slot->plan, 1), PyTuple_GET_ITEM(slot->plan, 2), index);
            if (row != NULL && PyList_Append(slot->group, row))
                Py_CLEAR(row);
        }
        Py_DECREF(pair);
        if (row == NULL)
            goto done;
        Py_DECREF(row);
    }
    added = PyList_GET_SIZE(rows);
done:
    for (int f = 0; f < 6; f++)
        Py_XDECREF(got[f]);
    Py_XDECREF(rows);
    Py_XDECREF(raw);
    Py_XDECREF(index);
    return added;
}

/* (items, start, raws, groups, layouts, layout, record_type) -> (stop, rows): pack_batch's work
 * on items[start:] up to the first that is not a record_type (sqlite_proc._pack_raws_py) */
static PyObject *
pack_raws(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 7 || !PyList_Check(args[0]) || !PyList_Check(args[2]) || !PyDict_Check(args[3])
            || !PyDict_Check(args[4])) {
        PyErr_SetString(PyExc_TypeError,
                        "pack_raws(items: list, start, raws: list, groups: dict, layouts: dict, layout, record_type)");
        return NULL;
    }
    PyObject *items = args[0];
    Packer p = {.next = 0, .groups = args[3], .layouts = args[4], .layout = args[5]};
    Py_ssize_t at = PyLong_AsSsize_t(args[1]), rows = 0;
    if (at == -1 && PyErr_Occurred())
        return NULL;
    if (at < 0) {
        PyErr_SetString(PyExc_ValueError, "pack_raws(): start must be >= 0");
        return NULL;
    }
    for (; at < PyList_GET_SIZE(items); at++) {
        PyObject *item = Py_NewRef(PyList_GET_ITEM(items, at));
        int is_record = PyObject_IsInstance(item, args[6]);
        Py_ssize_t added = is_record > 0 ? pack_record(module, item, args[2], &p) : 0;
        Py_DECREF(item);
        if (is_record < 0 || added < 0) {
            rows = -1;
            break;
        }
        if (!is_record)
            break;
        rows += added;
    }
    for (int n = 0; n < SLOTS; n++) {
        Py_XDECREF(p.slots[n].key);
        Py_XDECREF(p.slots[n].plan);
        Py_XDECREF(p.slots[n].group);
    }
    return rows < 0 ? NULL : Py_BuildValue("nn", at, rows);
}

/* --- the PRIVMSG projection ---------------------------------------------------------------- */

static PyObject *K_id, *K_tmi_sent_ts, *K_emotes, *K_display_name, *K_bits, *K_color, *K_badges,
    *K_badge_info, *K_first_msg, *K_mod, *K_subscriber, *K_reply_parent_msg_id,
    *K_reply_parent_user_login, *K_custom_reward_id, *K_source_room_id, *K_room_id, *K_user_id,
    *C_channel, *C_room_id, *C_user_id, *C_login, *C_display_name, *C_text, *C_is_action,
    *C_sent_at, *C_received_at, *C_badge_info, *C_is_first_msg, *C_is_mod, *C_is_subscriber,
    *C_reply_parent_msg_id, *C_reply_parent_login, *C_custom_reward_id, *C_source_room_id, *C_tags, *C_message_id, *C_emote_id, *C_emote_name, *C_count,
    *C_start, *C_end, *T_messages, *T_emote_usages, *M_lower;

static struct {
    PyObject **slot;
    const char *text;
} NAMES[] = {
    {&K_id, "id"}, {&K_tmi_sent_ts, "tmi-sent-ts"}, {&K_emotes, "emotes"},
    {&K_display_name, "display-name"}, {&K_bits, "bits"}, {&K_color, "color"},
    {&K_badges, "badges"}, {&K_badge_info, "badge-info"}, {&K_first_msg, "first-msg"},
    {&K_mod, "mod"}, {&K_subscriber, "subscriber"}, {&K_reply_parent_msg_id, "reply-parent-msg-id"},
    {&K_reply_parent_user_login, "reply-parent-user-login"},
    {&K_custom_reward_id, "custom-reward-id"}, {&K_source_room_id, "source-room-id"},
    {&K_room_id, "room-id"}, {&K_user_id, "user-id"},
    {&C_channel, "channel"}, {&C_room_id, "room_id"}, {&C_user_id, "user_id"}, {&C_login, "login"},
    {&C_display_name, "display_name"}, {&C_text, "text"}, {&C_is_action, "is_action"},
    {&C_sent_at, "sent_at"}, {&C_received_at, "received_at"}, {&C_badge_info, "badge_info"},
    {&C_is_first_msg, "is_first_msg"}, {&C_is_mod, "is_mod"}, {&C_is_subscriber, "is_subscriber"},
    {&C_reply_parent_msg_id, "reply_parent_msg_id"}, {&C_reply_parent_login, "reply_parent_login"},
    {&C_custom_reward_id, "custom_reward_id"}, {&C_source_room_id, "source_room_id"},
    {&C_tags, "tags"},
    {&C_message_id, "message_id"}, {&C_emote_id, "emote_id"}, {&C_emote_name, "emote_name"},
    {&C_count, "count"}, {&C_start, "start"}, {&C_end, "end"}, {&T_messages, "messages"},
    {&T_emote_usages, "emote_usages"}, {&M_lower, "lower"},
    {&A_session_id, "session_id"}, {&A_command, "command"}, {&A_line, "line"},
    {&A_parse_error, "parse_error"}, {&A_rows, "rows"}, {&A_received_at, "received_at"},
    {&A_channel, "channel"}, {&S_one, "1"},
};

/* tags.get(key) as a borrowed reference (None when missing; NULL: an error is set) */
static PyObject *
tag_get(PyObject *tags, PyObject *key)
{
    PyObject *value = PyDict_GetItemWithError(tags, key);
    return value != NULL || PyErr_Occurred() ? value : Py_None;
}

/* tags.get(key) == "1" (-1: an error) */
static int
tag_flag(PyObject *tags, PyObject *key)
{
    PyObject *value = tag_get(tags, key);
    if (value == NULL)
        return -1;
    if (PyUnicode_CheckExact(value))
        return PyUnicode_GET_LENGTH(value) == 1 && PyUnicode_READ_CHAR(value, 0) == '1';
    Py_INCREF(value);
    int equal = PyObject_RichCompareBool(value, S_one, Py_EQ);
    Py_DECREF(value);
    return equal;
}

/* text[start:end] is one or more ASCII digits */
static int
ascii_digits(int kind, const void *data, Py_ssize_t start, Py_ssize_t end)
{
    if (start >= end)
        return 0;
    for (Py_ssize_t i = start; i < end; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c < '0' || c > '9')
            return 0;
    }
    return 1;
}

/* the ASCII digits text[start:end] as a number, PY_SSIZE_T_MAX for anything larger (which
 * compares alike: ranges are clamped to the text, whose length is less) */
static Py_ssize_t
digits_value(int kind, const void *data, Py_ssize_t start, Py_ssize_t end)
{
    Py_ssize_t n = 0;
    for (Py_ssize_t i = start; i < end; i++) {
        int d = (int)(PyUnicode_READ(kind, data, i) - '0');
        if (n > (PY_SSIZE_T_MAX - d) / 10)
            return PY_SSIZE_T_MAX;
        n = n * 10 + d;
    }
    return n;
}

/* "\x01ACTION text\x01" -> "text" (*is_action = 1); any other text as it is */
static PyObject *
strip_action(PyObject *text, int *is_action)
{
    static const char action[] = "\x01" "ACTION";
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    *is_action = 0;
    if (n < 8)
        return Py_NewRef(text);
    for (int i = 0; i < 7; i++)
        if (PyUnicode_READ_CHAR(text, i) != (Py_UCS4)action[i])
            return Py_NewRef(text);
    Py_UCS4 c = PyUnicode_READ_CHAR(text, 7);
    if (!(c == ' ' || (c == 1 && n == 8)))
        return Py_NewRef(text);
    *is_action = 1;
    return PyUnicode_Substring(text, 8, n > 8 && PyUnicode_READ_CHAR(text, n - 1) == 1 ? n - 1 : n);
}

/* The emotes tag ("25:0-4,12-16/1902:6-10") of a message whose text is `text`: appends
 * {"id", "start", "end"} to `found` in tag order (ranges clamped to the text, bad ones left
 * out) and counts each emote into `counts` ({id: [name, count]}, the name being the text of
 * its first range). */
static int
scan_emotes(PyObject *value, PyObject *text, PyObject *found, PyObject *counts)
{
    int kind = PyUnicode_KIND(value);
    const void *data = PyUnicode_DATA(value);
    Py_ssize_t length = PyUnicode_GET_LENGTH(value), limit = PyUnicode_GET_LENGTH(text) - 1;
    for (Py_ssize_t pos = 0; pos <= length;) {
        Py_ssize_t stop = find_char(kind, data, pos, length, '/');
        if (stop < 0)
            stop = length;
        Py_ssize_t colon = -1;
        for (Py_ssize_t i = stop - 1; i >= pos; i--)
            if (PyUnicode_READ(kind, data, i) == ':') {
                colon = i;
                break;
            }
        PyObject *emote_id = NULL; /* made at the first range kept */
        for (Py_ssize_t span = colon + 1; colon > pos && span <= stop;) {
            Py_ssize_t span_end = find_char(kind, data, span, stop, ',');
            if (span_end < 0)
                span_end = stop;
            Py_ssize_t dash = find_char(kind, data, span, span_end, '-');
            if (dash >= 0 && ascii_digits(kind, data, span, dash)
                    && ascii_digits(kind, data, dash + 1, span_end)) {
                Py_ssize_t start = digits_value(kind, data, span, dash);
                Py_ssize_t end = digits_value(kind, data, dash + 1, span_end);
                if (end > limit)
                    end = limit;
                if (start <= end) {
                    if (emote_id == NULL && (emote_id = PyUnicode_Substring(value, pos, colon)) == NULL)
                        return -1;
                    PyObject *entry = Py_BuildValue("{OOOnOn}", K_id, emote_id, C_start, start, C_end, end);
                    int failed = entry == NULL || PyList_Append(found, entry);
                    Py_XDECREF(entry);
                    PyObject *tally = failed ? NULL : PyDict_GetItemWithError(counts, emote_id);
                    if (!failed && tally != NULL) {
                        PyObject *more = PyLong_FromSsize_t(PyLong_AsSsize_t(PyList_GET_ITEM(tally, 1)) + 1);
                        failed = more == NULL || PyList_SetItem(tally, 1, more);
                    } else if (!failed && !PyErr_Occurred()) {
                        PyObject *name = PyUnicode_Substring(text, start, end + 1);
                        tally = name == NULL ? NULL : Py_BuildValue("[Ni]", name, 1);
                        failed = tally == NULL || PyDict_SetItem(counts, emote_id, tally);
                        Py_XDECREF(tally);
                    } else {
                        failed = 1;
                    }
                    if (failed) {
                        Py_DECREF(emote_id);
                        return -1;
                    }
                }
            }
            span = span_end + 1;
        }
        Py_XDECREF(emote_id);
        pos = stop + 1;
    }
    return 0;
}

static int
set_new(PyObject *row, PyObject *key, PyObject *value) /* steals value */
{
    if (value == NULL)
        return -1;
    int failed = PyDict_SetItem(row, key, value);
    Py_DECREF(value);
    return failed;
}

static int
set_tag(PyObject *row, PyObject *column, PyObject *tags, PyObject *key)
{
    PyObject *value = tag_get(tags, key);
    return value == NULL ? -1 : PyDict_SetItem(row, column, value);
}

static int
set_flag(PyObject *row, PyObject *column, PyObject *tags, PyObject *key)
{
    int flag = tag_flag(tags, key);
    return flag < 0 ? -1 : PyDict_SetItem(row, column, flag ? Py_True : Py_False);
}

/* tags.get(key) as a reference of our own (None when missing; NULL: an error is set) */
static PyObject *
tag_own(PyObject *tags, PyObject *key)
{
    return Py_XNewRef(tag_get(tags, key));
}

/* parse_badges(tags.get(key)) */
static PyObject *
badges_of(PyObject *module, PyObject *tags, PyObject *key)
{
    PyObject *value = tag_own(tags, key);
    if (value == NULL)
        return NULL;
    PyObject *badges = parse_badges(module, value);
    Py_DECREF(value);
    return badges;
}

/* a tag whose value is read as text when it is truthy: 1 (use it), 0 (falsy: leave it), -1 */
static int
truthy_text(PyObject *value, const char *what)
{
    int truth = PyObject_IsTrue(value);
    if (truth > 0 && !PyUnicode_Check(value)) {
        PyErr_Format(PyExc_TypeError, "privmsg_rows(): %s must be a str", what);
        return -1;
    }
    return truth;
}

/* (tags, channel, nick, text, received_at) -> the rows of a PRIVMSG (projections._privmsg_rows_py;
 * tags: an exact dict, the parser's). Values taken from `tags` are held by references of our
 * own: code that runs meanwhile (a __bool__, nick.lower(), a key's __eq__) may change it. */
static PyObject *
privmsg_rows(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 5 || !PyDict_CheckExact(args[0]) || !PyUnicode_Check(args[3])) {
        PyErr_SetString(PyExc_TypeError, "privmsg_rows(tags: dict, channel, nick, text: str, received_at)");
        return NULL;
    }
    PyObject *tags = args[0], *channel = args[1], *nick = args[2], *received_at = args[4];
    PyObject *message_id = NULL, *emotes_tag = NULL, *bits = NULL, *ts = NULL, *text = NULL,
             *sent = NULL, *login = NULL, *found = NULL, *counts = NULL, *row = NULL,
             *display = NULL, *rows = NULL, *item;
    int truth, is_action, use_emotes, use_bits;
    if ((message_id = tag_own(tags, K_id)) == NULL || (truth = PyObject_IsTrue(message_id)) < 0)
        goto error;
    if (truth && (truth = PyObject_IsTrue(channel)) < 0)
        goto error;
    if (!truth) { /* not message_id or not channel */
        Py_DECREF(message_id);
        return PyList_New(0);
    }
    if ((emotes_tag = tag_own(tags, K_emotes)) == NULL || (ts = tag_own(tags, K_tmi_sent_ts)) == NULL
            || (bits = tag_own(tags, K_bits)) == NULL)
        goto error;
    if ((text = strip_action(args[3], &is_action)) == NULL || (sent = sent_at(module, ts)) == NULL)
        goto error;
    if ((use_emotes = truthy_text(emotes_tag, "the emotes tag")) < 0 || (truth = PyObject_IsTrue(nick)) < 0)
        goto error;
    login = truth ? PyObject_CallMethodNoArgs(nick, M_lower) : Py_NewRef(Py_None);
    found = PyList_New(0);
    counts = PyDict_New();
    row = _PyDict_NewPresized(23);
    if (login == NULL || found == NULL || counts == NULL || row == NULL)
        goto error;
    if (use_emotes && scan_emotes(emotes_tag, text, found, counts))
        goto error;
    if ((use_bits = truthy_text(bits, "the bits tag")) < 0)
        goto error;
    use_bits = use_bits && PyUnicode_KIND(bits) == PyUnicode_1BYTE_KIND
               && ascii_digits(PyUnicode_KIND(bits), PyUnicode_DATA(bits), 0, PyUnicode_GET_LENGTH(bits));
    if (PyDict_SetItem(row, K_id, message_id) || PyDict_SetItem(row, C_channel, channel)
            || set_tag(row, C_room_id, tags, K_room_id) || set_tag(row, C_user_id, tags, K_user_id)
            || PyDict_SetItem(row, C_login, login))
        goto error;
    display = PyDict_GetItemWithError(tags, K_display_name);
    if (display == NULL && PyErr_Occurred())
        goto error;
    display = Py_NewRef(display != NULL ? display : login);
    if (PyDict_SetItem(row, C_display_name, display) || PyDict_SetItem(row, C_text, text)
            || PyDict_SetItem(row, C_is_action, is_action ? Py_True : Py_False)
            || PyDict_SetItem(row, C_sent_at, sent) || PyDict_SetItem(row, C_received_at, received_at)
            || set_new(row, K_bits, use_bits ? PyLong_FromUnicodeObject(bits, 10) : PyLong_FromLong(0))
            || set_tag(row, K_color, tags, K_color)
            || set_new(row, K_badges, badges_of(module, tags, K_badges))
            || set_new(row, C_badge_info, badges_of(module, tags, K_badge_info))
            || PyDict_SetItem(row, K_emotes, found)
            || set_flag(row, C_is_first_msg, tags, K_first_msg) || set_flag(row, C_is_mod, tags, K_mod)
            || set_flag(row, C_is_subscriber, tags, K_subscriber)
            || set_tag(row, C_reply_parent_msg_id, tags, K_reply_parent_msg_id)
            || set_tag(row, C_reply_parent_login, tags, K_reply_parent_user_login)
            || set_tag(row, C_custom_reward_id, tags, K_custom_reward_id)
            || set_tag(row, C_source_room_id, tags, K_source_room_id)
            || set_new(row, C_tags, PyDict_Copy(tags)))
        goto error;
    rows = PyList_New(0);
    item = rows == NULL ? NULL : PyTuple_Pack(2, T_messages, row);
    if (item == NULL || PyList_Append(rows, item)) {
        Py_XDECREF(item);
        goto error;
    }
    Py_DECREF(item);
    Py_ssize_t pos = 0;
    PyObject *emote_id, *tally;
    while (PyDict_Next(counts, &pos, &emote_id, &tally)) { /* counts is ours: no code runs on it */
        PyObject *usage = Py_BuildValue("{OOOOOOOOOOOO}", C_message_id, message_id, C_emote_id,
                                        emote_id, C_channel, channel, C_emote_name,
                                        PyList_GET_ITEM(tally, 0), C_sent_at, sent, C_count,
                                        PyList_GET_ITEM(tally, 1));
        item = usage == NULL ? NULL : PyTuple_Pack(2, T_emote_usages, usage);
        Py_XDECREF(usage);
        if (item == NULL || PyList_Append(rows, item)) {
            Py_XDECREF(item);
            goto error;
        }
        Py_DECREF(item);
    }
    goto done;
error:
    Py_CLEAR(rows);
done:
    Py_XDECREF(message_id);
    Py_XDECREF(emotes_tag);
    Py_XDECREF(bits);
    Py_XDECREF(ts);
    Py_XDECREF(text);
    Py_XDECREF(sent);
    Py_XDECREF(login);
    Py_XDECREF(found);
    Py_XDECREF(counts);
    Py_XDECREF(row);
    Py_XDECREF(display);
    return rows;
}

static PyMethodDef methods[] = {
    {"parse_tags", parse_tags, METH_O, "IRCv3 tag text -> {key: unescaped value}."},
    {"parse_badges", parse_badges, METH_O, "'name/version,...' -> {name: version}."},
    {"split_line", split_line, METH_O,
     "line -> (line without CRLF, tag_text, prefix, nick, command, params), or the reason it is not a line."},
    {"sent_at", sent_at, METH_O, "tmi-sent-ts (epoch ms) -> aware UTC datetime, or None."},
    {"datetime_text", datetime_text, METH_O,
     "aware datetime -> 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC (None: None)."},
    {"wire_row", (PyCFunction)(void (*)(void))wire_row, METH_FASTCALL,
     "(values, json_at, time_at, raw_at, index) -> the row as the SQLite writer process binds it."},
    {"pack_raws", (PyCFunction)(void (*)(void))pack_raws, METH_FASTCALL,
     "(items, start, raws, groups, layouts, layout, record_type) -> (stop, rows): pack_batch's records."},
    {"privmsg_rows", (PyCFunction)(void (*)(void))privmsg_rows, METH_FASTCALL,
     "(tags, channel, nick, text, received_at) -> the projection rows of a PRIVMSG."},
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
    for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++)
        if ((*NAMES[i].slot = PyUnicode_InternFromString(NAMES[i].text)) == NULL)
            return NULL;
    return PyModule_Create(&module);
}
