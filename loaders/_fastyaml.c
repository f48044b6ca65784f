/* The fast path of loaders/yaml_strict.py, in C.
 *
 * `_parse_fast` there reads libyaml's events through PyYAML, which builds a Python object for each of
 * them (a million at 10,000 records): four fifths of the parse went into those objects, not into
 * libyaml. This module reads the same events from libyaml directly and builds the dicts and lists
 * itself. It is a copy of `_parse_fast`'s loop, nothing more: the same bail-outs (raised as the
 * exception class it is given), the same key handling, and the scalar resolution of that module
 * (its sets of null and boolean words are passed in; its number patterns are matched by hand in
 * number_kind), so that the Python loop stays the definition and tests hold the two to the same
 * outcome on every file. Without a C compiler and libyaml's headers the module is not built and
 * yaml_strict uses the Python loop.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <yaml.h>
#include <math.h>

#define DIGIT(c) ((c) >= '0' && (c) <= '9')

/* yaml_strict's number patterns, matched by hand (the regexes of that module are the definition):
 *   _INT           ^[-+]?[0-9]+$
 *   _FLOAT         ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
 *   _SPECIAL_FLOAT ^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$
 * Returns 1 for an integer, 2 for a float, 3 for a special float, 0 for anything else. */
static int
number_kind(PyObject *text)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
#define AT(i) PyUnicode_READ(kind, data, (i))
    Py_ssize_t i = 0;
    if (n > 0 && (AT(0) == '-' || AT(0) == '+'))
        i = 1;
    Py_ssize_t k = i;
    while (k < n && DIGIT(AT(k)))
        k++;
    Py_ssize_t int_digits = k - i;
    if (int_digits > 0 && k == n)
        return 1;
    int is_float = 0;
    if (int_digits > 0) {
        if (k < n && AT(k) == '.') {
            k++;
            while (k < n && DIGIT(AT(k)))
                k++;
        }
        is_float = 1;
    } else if (k < n && AT(k) == '.') {
        Py_ssize_t start = ++k;
        while (k < n && DIGIT(AT(k)))
            k++;
        is_float = k > start;
    }
    if (is_float && k < n && (AT(k) == 'e' || AT(k) == 'E')) {
        k++;
        if (k < n && (AT(k) == '-' || AT(k) == '+'))
            k++;
        Py_ssize_t start = k;
        while (k < n && DIGIT(AT(k)))
            k++;
        if (k == start)
            is_float = 0;
    }
    if (is_float && k == n)
        return 2;
    /* special floats: a sign only before .inf */
    if (n - i == 4 && AT(i) == '.') {
        Py_UCS4 a = AT(i + 1), b = AT(i + 2), c = AT(i + 3);
        if ((a == 'i' && b == 'n' && c == 'f') || (a == 'I' && b == 'n' && c == 'f') ||
            (a == 'I' && b == 'N' && c == 'F'))
            return 3;
        if (i == 0 && ((a == 'n' && b == 'a' && c == 'n') || (a == 'N' && b == 'a' && c == 'N') ||
                       (a == 'N' && b == 'A' && c == 'N')))
            return 3;
    }
#undef AT
    return 0;
}

/* _number_fast: the value of a plain scalar that may be a number; NULL with *bail = 1 where that
 * function raises _Unusual, NULL with *bail = -1 on a Python error. Steals `text`. */
static PyObject *
number_value(PyObject *text, Py_ssize_t max_int_chars, int *bail)
{
    PyObject *value;
    switch (number_kind(text)) {
    case 1:
        if (PyUnicode_GET_LENGTH(text) > max_int_chars) {
            Py_DECREF(text);
            *bail = 1;
            return NULL;
        }
        value = PyLong_FromUnicodeObject(text, 10);
        break;
    case 2:
        value = PyFloat_FromString(text);
        if (value != NULL && isinf(PyFloat_AS_DOUBLE(value))) {
            Py_CLEAR(value);
            Py_DECREF(text);
            *bail = 1;
            return NULL;
        }
        break;
    case 3:
        Py_DECREF(text);
        *bail = 1;
        return NULL;
    default:
        return text;
    }
    Py_DECREF(text);
    if (value == NULL)
        *bail = -1;
    return value;
}

typedef struct {
    PyObject *container; /* borrowed: owned by the document being built */
    int in_map;
    PyObject *key; /* owned, or NULL */
} Frame;

/* parse(raw, max_depth, nulls, trues, falses, numeric_start, max_int_chars, unusual) -> data */
static PyObject *
fast_parse(PyObject *self, PyObject *args)
{
    Py_buffer raw;
    int max_depth;
    Py_ssize_t max_int_chars;
    PyObject *nulls, *trues, *falses, *numeric_start, *unusual;
    if (!PyArg_ParseTuple(args, "y*iO!O!O!O!nO:parse", &raw, &max_depth, &PyFrozenSet_Type, &nulls,
                          &PyFrozenSet_Type, &trues, &PyFrozenSet_Type, &falses, &PyFrozenSet_Type,
                          &numeric_start, &max_int_chars, &unusual))
        return NULL;
    if (max_depth < 1 || max_depth > 4096) {
        PyBuffer_Release(&raw);
        PyErr_SetString(PyExc_ValueError, "max_depth out of range");
        return NULL;
    }
    Frame *stack = PyMem_Calloc((size_t)max_depth + 1, sizeof(Frame));
    if (stack == NULL) {
        PyBuffer_Release(&raw);
        return PyErr_NoMemory();
    }
    yaml_parser_t parser;
    yaml_event_t event;
    if (!yaml_parser_initialize(&parser)) {
        PyMem_Free(stack);
        PyBuffer_Release(&raw);
        return PyErr_NoMemory();
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)raw.buf, (size_t)raw.len);

    int depth = 0, in_map = 0, want_key = 0, documents = 0;
    int bail = 0;  /* 1: hand the file to `parse` (raise `unusual`); -1: a Python error is set */
    PyObject *current = NULL; /* borrowed */
    PyObject *key = NULL;     /* owned */
    PyObject *root = NULL;    /* owned */

    for (;;) {
        if (!yaml_parser_parse(&parser, &event)) {
            bail = 1;
            break;
        }
        yaml_event_type_t type = event.type;
        if (type == YAML_SCALAR_EVENT) {
            if (event.data.scalar.anchor != NULL || event.data.scalar.tag != NULL) {
                bail = 1;
            } else {
                PyObject *text = PyUnicode_DecodeUTF8((const char *)event.data.scalar.value,
                                                      (Py_ssize_t)event.data.scalar.length, "strict");
                if (text == NULL) {
                    /* libyaml checks UTF-8 as it reads, so this should not happen; if it does, `parse`
                     * decides the file (decode() names the byte) rather than an error escaping here */
                    bail = PyErr_ExceptionMatches(PyExc_UnicodeDecodeError) ? (PyErr_Clear(), 1) : -1;
                } else if (want_key) {
                    int seen = PyDict_Contains(current, text);
                    if (seen != 0) {
                        bail = seen < 0 ? -1 : 1;
                        Py_DECREF(text);
                    } else {
                        Py_XSETREF(key, text);
                        want_key = 0;
                    }
                } else {
                    PyObject *value = text;
                    yaml_scalar_style_t style = event.data.scalar.style;
                    if ((style == YAML_PLAIN_SCALAR_STYLE || style == YAML_ANY_SCALAR_STYLE) &&
                        event.data.scalar.plain_implicit) {
                        /* _plain_fast: words first, then what may be a number */
                        Py_ssize_t n = PyUnicode_GET_LENGTH(text);
                        int numeric = 0;
                        if (n > 0) {
                            PyObject *first = PyUnicode_Substring(text, 0, 1);
                            if (first == NULL) {
                                bail = -1;
                            } else {
                                numeric = PySet_Contains(numeric_start, first);
                                Py_DECREF(first);
                                if (numeric < 0)
                                    bail = -1;
                            }
                        }
                        if (bail == 0 && numeric) {
                            value = number_value(text, max_int_chars, &bail);
                        } else if (bail == 0) {
                            int hit;
                            if ((hit = PySet_Contains(nulls, text)) != 0) {
                                Py_DECREF(text);
                                value = hit < 0 ? NULL : Py_NewRef(Py_None);
                            } else if ((hit = PySet_Contains(trues, text)) != 0) {
                                Py_DECREF(text);
                                value = hit < 0 ? NULL : Py_NewRef(Py_True);
                            } else if ((hit = PySet_Contains(falses, text)) != 0) {
                                Py_DECREF(text);
                                value = hit < 0 ? NULL : Py_NewRef(Py_False);
                            }
                            if (value == NULL)
                                bail = -1;
                        } else {
                            Py_DECREF(text);
                            value = NULL;
                        }
                    }
                    if (bail == 0) {
                        if (in_map) {
                            if (PyDict_SetItem(current, key, value) < 0)
                                bail = -1;
                            want_key = 1;
                        } else if (current != NULL) {
                            if (PyList_Append(current, value) < 0)
                                bail = -1;
                        } else { /* a document that is a lone scalar */
                            bail = 1;
                        }
                    }
                    Py_XDECREF(value);
                }
            }
        } else if (type == YAML_MAPPING_START_EVENT || type == YAML_SEQUENCE_START_EVENT) {
            int is_map = type == YAML_MAPPING_START_EVENT;
            yaml_char_t *anchor = is_map ? event.data.mapping_start.anchor : event.data.sequence_start.anchor;
            yaml_char_t *tag = is_map ? event.data.mapping_start.tag : event.data.sequence_start.tag;
            if (want_key || anchor != NULL || tag != NULL) {
                bail = 1;
            } else {
                PyObject *made = is_map ? PyDict_New() : PyList_New(0);
                if (made == NULL) {
                    bail = -1;
                } else {
                    if (in_map) {
                        if (PyDict_SetItem(current, key, made) < 0)
                            bail = -1;
                    } else if (current != NULL) {
                        if (PyList_Append(current, made) < 0)
                            bail = -1;
                    } else if (root == NULL) {
                        root = Py_NewRef(made);
                    } else {
                        bail = 1;
                    }
                    if (bail == 0) {
                        stack[depth].container = current;
                        stack[depth].in_map = in_map;
                        stack[depth].key = key; /* the frame takes our reference */
                        key = NULL;
                        depth++;
                        if (depth >= max_depth)
                            bail = 1;
                        current = made; /* kept alive by its parent, or by root */
                        in_map = is_map;
                        want_key = in_map;
                    }
                    Py_DECREF(made);
                }
            }
        } else if (type == YAML_MAPPING_END_EVENT || type == YAML_SEQUENCE_END_EVENT) {
            if (depth == 0) { /* libyaml never sends this; refuse rather than trust it */
                bail = 1;
            } else {
                depth--;
                current = stack[depth].container;
                in_map = stack[depth].in_map;
                Py_XSETREF(key, stack[depth].key);
                stack[depth].key = NULL;
                want_key = in_map;
            }
        } else if (type == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&event);
            break;
        } else if (type == YAML_DOCUMENT_START_EVENT) {
            documents++;
            if (documents > 1)
                bail = 1;
        } else if (type == YAML_ALIAS_EVENT) {
            bail = 1;
        }
        yaml_event_delete(&event);
        if (bail != 0)
            break;
    }

    yaml_parser_delete(&parser);
    for (int i = 0; i < depth; i++)
        Py_XDECREF(stack[i].key);
    PyMem_Free(stack);
    Py_XDECREF(key);
    PyBuffer_Release(&raw);
    if (bail == 0 && root == NULL)
        bail = 1;
    if (bail != 0) {
        Py_XDECREF(root);
        if (bail > 0)
            PyErr_SetNone(unusual);
        return NULL;
    }
    return root;
}

static PyObject *
libyaml_version(PyObject *self, PyObject *Py_UNUSED(args))
{
    int major, minor, patch;
    yaml_get_version(&major, &minor, &patch);
    return Py_BuildValue("(iii)", major, minor, patch);
}

static PyMethodDef methods[] = {
    {"parse", fast_parse, METH_VARARGS,
     "parse(raw, max_depth, nulls, trues, falses, numeric_start, max_int_chars, unusual): the data of a "
     "well-formed record file; raises `unusual` for anything yaml_strict's `parse` must decide."},
    {"libyaml_version", libyaml_version, METH_NOARGS, "The (major, minor, patch) of the libyaml linked in."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_fastyaml", "yaml_strict's fast path over libyaml, in C.", -1, methods,
};

PyMODINIT_FUNC
PyInit__fastyaml(void)
{
    return PyModule_Create(&module);
}
