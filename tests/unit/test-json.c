/*
 * tests/unit/test-json.c - the shared JSON/CSV emitter: exact bytes for
 * nesting, commas and escaping (control characters, quotes, invalid UTF-8),
 * numbers and hex addresses, RFC 4180 quoting; and a real JSON parser
 * (python3, when installed) accepting a document.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/views/json.h"
#include "tests/unit/harness.h"

TEST(nesting_and_commas)
{
	FILE *f = t_memstream();
	struct mm_json j;
	mm_json_init(&j, f);
	mm_json_object_begin(&j, NULL);
	mm_json_str(&j, "view", "regions");
	mm_json_array_begin(&j, "list");
	mm_json_u64(&j, NULL, 1);
	mm_json_i64(&j, NULL, -2);
	mm_json_array_end(&j);
	mm_json_array_begin(&j, "empty");
	mm_json_array_end(&j);
	mm_json_object_begin(&j, "o");
	mm_json_hex(&j, "start", 0x7f12b7d8f000ull);
	mm_json_fixed(&j, "time", 1.5, 6);
	mm_json_bool(&j, "live", true);
	mm_json_null(&j, "end");
	mm_json_object_end(&j);
	mm_json_finish(&j);
	fclose(f);
	CHECK_STR(t_buf, "{\n  \"view\": \"regions\",\n  \"list\": [\n    1,\n    -2\n  ],\n"
		  "  \"empty\": [],\n  \"o\": {\n    \"start\": \"7f12b7d8f000\",\n"
		  "    \"time\": 1.500000,\n    \"live\": true,\n    \"end\": null\n  }\n}\n");
}

TEST(finish_closes_open_levels)
{
	FILE *f = t_memstream();
	struct mm_json j;
	mm_json_init(&j, f);
	mm_json_object_begin(&j, NULL);
	mm_json_array_begin(&j, "a");
	mm_json_object_begin(&j, NULL);
	mm_json_finish(&j);
	fclose(f);
	CHECK_STR(t_buf, "{\n  \"a\": [\n    {}\n  ]\n}\n");
}

TEST(string_escaping)
{
	FILE *f = t_memstream();
	mm_json_write_string(f, "a\"b\\c\nd\te\x01" "f\x7f");
	mm_json_write_string(f, "caf\xc3\xa9 \xe2\x82\xac");     /* valid UTF-8 kept */
	mm_json_write_string(f, "bad\xff\xc3(x\xed\xa0\x80");   /* invalid -> U+FFFD */
	fclose(f);
	CHECK_STR(t_buf, "\"a\\\"b\\\\c\\nd\\te\\u0001f\\u007f\""
		  "\"caf\xc3\xa9 \xe2\x82\xac\""
		  "\"bad\\ufffd\\ufffd(x\\ufffd\\ufffd\\ufffd\"");
}

TEST(non_finite_numbers_are_null)
{
	FILE *f = t_memstream();
	struct mm_json j;
	mm_json_init(&j, f);
	mm_json_array_begin(&j, NULL);
	mm_json_fixed(&j, NULL, 1.0 / 0.0, 3);
	mm_json_array_end(&j);
	mm_json_finish(&j);
	fclose(f);
	CHECK_STR(t_buf, "[\n  null\n]\n");
}

TEST(csv_quoting)
{
	static const char *const head[] = { "pid", "name" };
	FILE *f = t_memstream();
	struct mm_csv c;
	mm_csv_init(&c, f);
	mm_csv_header(&c, head, 2);
	mm_csv_i64(&c, 42);
	mm_csv_str(&c, "/a,b \"c\"");
	mm_csv_hex(&c, 0xabc);
	mm_csv_str(&c, " edge");
	mm_csv_str(&c, NULL);
	mm_csv_fixed(&c, 0.25, 2);
	mm_csv_end_row(&c);
	fclose(f);
	CHECK_STR(t_buf, "pid,name\n42,\"/a,b \"\"c\"\"\",abc,\" edge\",,0.25\n");
}

TEST(python_parses_it)
{
	if (system("python3 -c '' 2>/dev/null") != 0)
		SKIP("python3 not installed");
	char path[] = "/tmp/memmon-json-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	FILE *f = fdopen(fd, "w");
	struct mm_json j;
	mm_json_init(&j, f);
	mm_json_object_begin(&j, NULL);
	mm_json_str(&j, "s", "x\"\\\n\x02\xff\xe2\x82\xac");
	mm_json_array_begin(&j, "a");
	for (int i = 0; i < 3; i++) {
		mm_json_object_begin(&j, NULL);
		mm_json_u64(&j, "i", (uint64_t)i);
		mm_json_object_end(&j);
	}
	mm_json_array_end(&j);
	mm_json_finish(&j);
	fclose(f);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "python3 -c 'import json,sys; d=json.load(open(\"%s\")); "
		 "sys.exit(0 if d[\"a\"][2][\"i\"] == 2 and d[\"s\"] == \"x\\\"\\\\\\n\\x02\\ufffd\\u20ac\" "
		 "else 1)'", path);
	int rc = system(cmd);
	unlink(path);
	CHECK_EQ(rc, 0);
}

int main(void)
{
	RUN(nesting_and_commas);
	RUN(finish_closes_open_levels);
	RUN(string_escaping);
	RUN(non_finite_numbers_are_null);
	RUN(csv_quoting);
	RUN(python_parses_it);
	free(t_buf);
	return t_done();
}
